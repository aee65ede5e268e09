using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>The CPU backend's fork-join: every item exactly once, chunk bounds from the count alone, a kernel's own error
/// surfacing as itself (the lowest failing chunk's, whichever thread ran it).</summary>
public class CpuParallelTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(1000, 3)]
    [InlineData(100_003, 64)]
    [InlineData(50, 100)]
    public void For_RunsEveryItemOnce(int count, int grain)
    {
        var hits = new int[count];
        var ranges = new System.Collections.Concurrent.ConcurrentBag<(int, int)>();
        for (int run = 0; run < 20; run++)
        {
            Array.Clear(hits);
            ranges.Clear();
            CpuParallel.For(count, grain, (start, end) =>
            {
                ranges.Add((start, end));
                for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
            var sorted = ranges.OrderBy(r => r.Item1).ToArray();
            Assert.True(sorted.Length >= 1 && sorted[0].Item1 == 0 && sorted[^1].Item2 == count, $"{count}/{grain}: ranges do not cover [0, {count})");
            for (int i = 1; i < sorted.Length; i++) Assert.Equal(sorted[i - 1].Item2, sorted[i].Item1);
        }
    }

    /// <summary>A kernel body that forks again (a row-block GEMM whose epilogue is parallel), and several threads forking
    /// at once (two backends in one process): the workers take whichever job came last, the callers finish the rest.</summary>
    [Fact]
    public void For_NestedAndConcurrentCallsRunEveryItemOnce()
    {
        const int outer = 16, inner = 5000;
        for (int run = 0; run < 10; run++)
        {
            var hits = new int[4 * outer * inner];
            Parallel.For(0, 4, caller =>
                CpuParallel.For(outer, 1, (start, end) =>
                {
                    for (int o = start; o < end; o++)
                        CpuParallel.For(inner, 100, (s, e) =>
                        {
                            for (int i = s; i < e; i++) Interlocked.Increment(ref hits[(caller * outer + o) * inner + i]);
                        });
                }));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void For_RethrowsTheLowestFailingChunksOwnException()
    {
        for (int run = 0; run < 20; run++)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.For(1000, 1, (start, end) =>
            {
                if (start >= 500) throw new ArgumentOutOfRangeException("index", start, "late chunk");
                if (start > 0) throw new ArgumentOutOfRangeException("index", start, "first failing chunk");
            }));
            Assert.Contains("first failing chunk", error.Message);
        }
    }
}

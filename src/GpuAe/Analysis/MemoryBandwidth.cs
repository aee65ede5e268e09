using System.Diagnostics;
using System.Numerics;

namespace GpuAe.Analysis;

/// <summary>
/// Host memory bandwidth by a STREAM-style triad, a[i] = b[i] + s·c[i], on every core: each thread owns one contiguous
/// chunk of the three arrays (so each core streams its own pages). Bytes counted per pass are 3 · n · 4 (two reads, one
/// write; the write-allocate read a cache may add is not counted, as STREAM does not).
/// </summary>
internal static class MemoryBandwidth
{
    /// <summary>Default length: 3 arrays of 16 M floats, 192 MB in all, far past any last-level cache.</summary>
    public const int DefaultElements = 16 << 20;

    /// <summary>Best bytes per second over <paramref name="rounds"/> triad passes (after one untimed pass that touches the pages).</summary>
    public static double Triad(int elements = DefaultElements, int rounds = 5, int? threads = null)
    {
        if (elements <= 0) throw new ArgumentOutOfRangeException(nameof(elements), $"triad needs a positive length, got {elements}");
        int workers = Math.Max(1, threads ?? Environment.ProcessorCount);
        float[] a = new float[elements], b = new float[elements], c = new float[elements];
        Array.Fill(b, 1f);
        Array.Fill(c, 2f);
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        void Pass() => Parallel.For(0, workers, options, w =>
        {
            int start = (int)((long)elements * w / workers), end = (int)((long)elements * (w + 1) / workers);
            Kernel(a.AsSpan(start, end - start), b.AsSpan(start, end - start), c.AsSpan(start, end - start), 3f);
        });
        Pass();
        double best = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            Pass();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        if (a[elements - 1] != 7f) throw new InvalidOperationException($"triad computed {a[elements - 1]}, expected 7");
        return 3.0 * elements * sizeof(float) / best;
    }

    private static void Kernel(Span<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, float s)
    {
        int i = 0, width = Vector<float>.Count;
        var scale = new Vector<float>(s);
        for (; i <= a.Length - width; i += width)
            (new Vector<float>(b[i..]) + scale * new Vector<float>(c[i..])).CopyTo(a[i..]);
        for (; i < a.Length; i++) a[i] = b[i] + s * c[i];
    }
}

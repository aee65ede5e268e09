using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Random;

namespace GpuAe.Tests.Cpu;

/// <summary>GatherRows, the Philox random kernel (exact values, statistics, Random123 known answer),
/// bit-for-bit determinism, and rejection of buffers the backend does not own. Exact comparisons only.</summary>
public class CpuKernelDataTests
{
    readonly IBackend _cpu = new CpuBackend();

    [Theory]
    [InlineData(7, 5, new[] { 6, 0, 3, 3, 1 })]
    [InlineData(1, 1, new[] { 0 })]
    [InlineData(3, 13, new int[0])]
    public void GatherRows_CopiesIndexedRows(int rows, int rowLength, int[] indices)
    {
        double[] source = Kernel.RandomValues(new System.Random(rows), rows * rowLength);
        var destination = _cpu.Allocate(indices.Length * rowLength).All;
        _cpu.GatherRows(_cpu.Reals(source), rowLength, _cpu.Integers(indices), destination);
        float[] got = _cpu.Floats(destination);
        for (int i = 0; i < indices.Length; i++)
            for (int j = 0; j < rowLength; j++)
                Assert.Equal((float)source[indices[i] * rowLength + j], got[i * rowLength + j]);
    }

    [Fact]
    public void GatherRows_LargeBatch_CopiesIndexedRows()
    {
        const int rows = 50, rowLength = 3, count = 1000; // enough indices to fan out to threads
        double[] source = Kernel.RandomValues(new System.Random(9), rows * rowLength);
        int[] indices = Enumerable.Range(0, count).Select(i => i * 37 % rows).ToArray();
        var destination = _cpu.Allocate(count * rowLength).All;
        _cpu.GatherRows(_cpu.Reals(source), rowLength, _cpu.Integers(indices), destination);
        float[] got = _cpu.Floats(destination);
        for (int i = 0; i < count; i++)
            Assert.Equal(Kernel.ToFloats(source[(indices[i] * rowLength)..((indices[i] + 1) * rowLength)]), got[(i * rowLength)..((i + 1) * rowLength)]);
    }

    [Theory]
    [InlineData(7, 5, 1)]
    [InlineData(-1, 5, 1)]
    [InlineData(7, 1000, 777)]
    public void GatherRows_OutOfRangeIndex_ThrowsNamingIt(int badIndex, int count, int position)
    {
        int[] indices = new int[count];
        indices[position] = badIndex;
        var source = _cpu.Allocate(7 * 4).All;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.GatherRows(source, 4, _cpu.Integers(indices), _cpu.Allocate(count * 4).All));
        Assert.Contains($"index {badIndex}", error.Message);
    }

    [Theory]
    [InlineData(RandomDistribution.Uniform, 42ul, 0ul, 100_003)]
    [InlineData(RandomDistribution.Normal, 42ul, 0ul, 100_003)]
    [InlineData(RandomDistribution.Uniform, 0xDEADBEEF_12345678ul, 1ul << 40, 7)]
    [InlineData(RandomDistribution.Normal, 7ul, 12345ul, 9)]
    public void Random_EqualsPhiloxStream(RandomDistribution distribution, ulong seed, ulong offset, int length)
    {
        float[] got = Draw(distribution, seed, offset, length);
        for (int i = 0; i < length; i++)
        {
            float expected = distribution == RandomDistribution.Uniform
                ? Philox.ToUniform(Philox.Word(seed, offset, (ulong)i))
                : Philox.Normal(seed, offset, (ulong)i);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(got[i]),
                $"{distribution} seed={seed} offset={offset} [{i}]: got {got[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void RandomForStep_DrawsAFreshBlockOfTheStreamPerStep()
    {
        const int length = 9;   // 3 Philox blocks per step
        var view = _cpu.Allocate(length).All;
        float[] Step(int t)
        {
            ((IBackend)_cpu).RandomForStep(RandomDistribution.Normal, 11, t, view);
            var values = new float[length];
            _cpu.Download(view, values);
            return values;
        }
        Assert.Equal(Draw(RandomDistribution.Normal, 11, 5 * 3, length), Step(5));
        Assert.NotEqual(Step(5), Step(6));
        Assert.Equal(Step(5), Step(5));
    }

    [Fact]
    public void Random_Uniform_IsInUnitIntervalWithMeanHalf()
    {
        float[] u = Draw(RandomDistribution.Uniform, 1, 0, 100_000);
        Assert.All(u, v => Assert.True(v is >= 0f and < 1f, $"uniform value {v}"));
        // Standard error of the mean: 0.289 / sqrt(1e5) ≈ 0.0009; allow about 5 of them.
        Assert.InRange(u.Average(v => (double)v), 0.495, 0.505);
        Assert.InRange(u.Average(v => (double)v * v), 1 / 3.0 - 0.005, 1 / 3.0 + 0.005);
    }

    [Fact]
    public void Random_Normal_HasMeanZeroVarianceOne()
    {
        float[] z = Draw(RandomDistribution.Normal, 2, 0, 100_000);
        Assert.All(z, v => Assert.True(float.IsFinite(v), $"normal value {v}"));
        double mean = z.Average(v => (double)v), variance = z.Average(v => (v - mean) * (v - mean));
        // Standard errors: 1 / sqrt(1e5) ≈ 0.0032 for the mean, sqrt(2 / 1e5) ≈ 0.0045 for the variance.
        Assert.InRange(mean, -0.016, 0.016);
        Assert.InRange(variance, 0.978, 1.022);
    }

    [Theory]
    [InlineData(RandomDistribution.Uniform)]
    [InlineData(RandomDistribution.Normal)]
    public void Random_DifferentOffsetsOrSeeds_GiveDifferentStreams(RandomDistribution distribution)
    {
        float[] a = Draw(distribution, 5, 0, 4096), b = Draw(distribution, 5, 1000, 4096), c = Draw(distribution, 6, 0, 4096);
        Assert.True(a.Zip(b).Count(pair => pair.First == pair.Second) < 5, "offsets 0 and 1000 agree too often");
        Assert.True(a.Zip(c).Count(pair => pair.First == pair.Second) < 5, "seeds 5 and 6 agree too often");
        // The offset counts 4-element Philox blocks: offset 1 is the offset-0 stream 4 elements on.
        Assert.Equal(a[4..], Draw(distribution, 5, 1, 4092));
    }

    /// <summary>Random123's kat_vectors: philox4x32 10 rounds, counter 0, key 0.</summary>
    [Fact]
    public void Philox_MatchesRandom123KnownAnswer()
    {
        var (x0, x1, x2, x3) = Philox.Block(counter: 0, seed: 0);
        Assert.Equal((0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u), (x0, x1, x2, x3));
    }

    [Fact]
    public void Gemm_Loss_BiasGradient_AreBitIdenticalWhenRepeated()
    {
        var random = new System.Random(10);
        const int m = 64, n = 300, k = 97;
        double[] a = Kernel.RandomValues(random, m * k), b = Kernel.RandomValues(random, k * n), bias = Kernel.RandomValues(random, n);
        double[] p = Kernel.RandomValues(random, 10007), t = Kernel.RandomValues(random, 10007, 0, 1);

        int[] Run()
        {
            var c = _cpu.Allocate(m * n).All;
            _cpu.Gemm(Transpose.No, Transpose.No, m, n, k, 1f, _cpu.Reals(a), k, _cpu.Reals(b), n, 0f, c, n,
                BiasMode.PerColumn, _cpu.Reals(bias), Activation.Sigmoid);
            var dbiasColumns = _cpu.Allocate(n).All;
            _cpu.BiasGradient(BiasMode.PerColumn, m, n, c, dbiasColumns, accumulate: false);
            var dbiasRows = _cpu.Allocate(m).All;
            _cpu.BiasGradient(BiasMode.PerRow, m, n, c, dbiasRows, accumulate: false);
            var loss = _cpu.Allocate(1).All;
            var gradient = _cpu.Allocate(p.Length).All;
            _cpu.Loss(LossKind.BinaryCrossEntropyWithLogits, _cpu.Reals(p), _cpu.Reals(t), 1f / p.Length, loss, false, gradient);
            return [.. new[] { c, dbiasColumns, dbiasRows, loss, gradient }.SelectMany(v => _cpu.Floats(v)).Select(BitConverter.SingleToInt32Bits)];
        }

        Assert.Equal(Run(), Run());
    }

    public static TheoryData<string> MisownedBufferCases() => new() { "other backend", "float64 backend", "Int32 as real", "Real as Int32" };

    [Theory]
    [MemberData(nameof(MisownedBufferCases))]
    public void BufferFromAnotherBackendOrOfWrongType_Throws(string kind)
    {
        using var other = new CpuBackend();
        using var wide = new CpuBackend<double>();
        var good = _cpu.Allocate(16).All;
        var ints = _cpu.Allocate(16, ElementType.Int32).All;
        BufferView bad = kind switch
        {
            "other backend" => other.Allocate(16).All,
            "float64 backend" => wide.Allocate(16).All,
            "Int32 as real" => ints,
            _ => good,
        };
        var indices = kind == "Real as Int32" ? good : ints;
        var calls = new (string Op, Action Call)[]
        {
            ("Fill", () => _cpu.Fill(bad, 1f)),
            ("Copy", () => _cpu.Copy(good, bad)),
            ("Axpy", () => _cpu.Axpy(1f, bad, good)),
            ("ActivationForward", () => _cpu.ActivationForward(Activation.Relu, ActivationParameters.Default, bad, good)),
            ("Gemm", () => _cpu.Gemm(Transpose.No, Transpose.No, 4, 4, 4, 1f, good, 4, bad, 4, 0f, good, 4)),
            ("Gemm bias", () => _cpu.Gemm(Transpose.No, Transpose.No, 4, 4, 4, 1f, good, 4, good, 4, 0f, good, 4, BiasMode.PerColumn, bad)),
            ("Loss", () => _cpu.Loss(LossKind.SquaredError, good, good, 1f, bad, false, null)),
            ("Sum", () => _cpu.Sum(bad, good, false)),
        };
        if (kind == "Real as Int32")
            calls = [("GatherRows", () => _cpu.GatherRows(good, 4, indices, good.Slice(0, 4)))];
        foreach (var (op, call) in calls)
        {
            var error = Record.Exception(call);
            Assert.True(error is ArgumentException, $"{kind}: {op} threw {error?.GetType().Name ?? "nothing"}");
        }
    }

    float[] Draw(RandomDistribution distribution, ulong seed, ulong offset, int length)
    {
        var destination = _cpu.Allocate(length).All;
        _cpu.Random(distribution, seed, offset, destination);
        return _cpu.Floats(destination);
    }
}

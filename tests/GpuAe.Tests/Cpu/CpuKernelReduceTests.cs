using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// Fill / Copy / Axpy / Scale, BiasGradient, RowSums and Sum of the float32 CPU backend against naive
/// double loops. Elementwise ops: |got - ref| &lt;= 1e-5 + 1e-5 |ref|. Sums: the absolute part grows
/// with the summands, |got - ref| &lt;= 1e-5 (1 + Σ|terms|) + 1e-5 |ref|.
/// </summary>
public class CpuKernelReduceTests
{
    readonly IBackend _cpu = new CpuBackend();

    /// <summary>[rows, cols]: ones, primes, single row/column, and big enough to fan out to threads.</summary>
    static readonly (int Rows, int Cols)[] Matrices = [(1, 1), (7, 13), (31, 7), (13, 1), (1, 31), (300, 97), (2000, 5)];

    public static TheoryData<BiasMode, bool> BiasGradientCases() => new()
    {
        { BiasMode.PerColumn, false }, { BiasMode.PerColumn, true }, { BiasMode.PerRow, false }, { BiasMode.PerRow, true },
    };

    [Theory]
    [MemberData(nameof(BiasGradientCases))]
    public void BiasGradient_SumsOverRowsOrColumns(BiasMode mode, bool accumulate)
    {
        var random = new System.Random(11);
        foreach (var (rows, cols) in Matrices)
        {
            double[] dy = Kernel.RandomValues(random, rows * cols);
            int outputs = mode == BiasMode.PerColumn ? cols : rows;
            double[] initial = Kernel.RandomValues(random, outputs);
            var dbias = _cpu.Reals(initial);
            _cpu.BiasGradient(mode, rows, cols, _cpu.Reals(dy), dbias, accumulate);

            var (expected, magnitude) = NaiveBiasGradient(mode, rows, cols, dy);
            for (int o = 0; o < outputs; o++)
                if (accumulate) { expected[o] += initial[o]; magnitude[o] += Math.Abs(initial[o]); }
            AssertSums(expected, magnitude, _cpu.Floats(dbias), $"{mode} accumulate={accumulate} [{rows}x{cols}]");
        }
    }

    [Fact]
    public void RowSums_SumsEachRowAndOverwrites()
    {
        var random = new System.Random(12);
        foreach (var (rows, cols) in Matrices)
        {
            double[] x = Kernel.RandomValues(random, rows * cols);
            var result = _cpu.Reals(Enumerable.Repeat(float.NaN, rows).ToArray());
            _cpu.RowSums(rows, cols, _cpu.Reals(x), result);
            var (expected, magnitude) = NaiveBiasGradient(BiasMode.PerRow, rows, cols, x);
            AssertSums(expected, magnitude, _cpu.Floats(result), $"RowSums [{rows}x{cols}]");
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(4095, false)]
    [InlineData(4096, true)]
    [InlineData(4097, false)]
    [InlineData(10007, true)]
    public void Sum_OverwritesOrAccumulates(int length, bool accumulate)
    {
        double[] x = Kernel.RandomValues(new System.Random(length), length);
        var result = _cpu.Reals([2.5f]);
        _cpu.Sum(_cpu.Reals(x), result, accumulate);
        double expected = x.Sum() + (accumulate ? 2.5 : 0);
        double magnitude = x.Sum(Math.Abs) + 2.5;
        AssertSums([expected], [magnitude], _cpu.Floats(result), $"Sum n={length} accumulate={accumulate}");
    }

    [Fact]
    public void Fill_OverwritesOnlyTheView()
    {
        var buffer = _cpu.Reals(new float[20]);
        _cpu.Fill(buffer.Slice(3, 13), -1.25f);
        float[] got = _cpu.Floats(buffer);
        for (int i = 0; i < got.Length; i++) Assert.Equal(i is >= 3 and < 16 ? -1.25f : 0f, got[i]);
    }

    [Fact]
    public void Copy_CopiesBetweenSubviewsExactly()
    {
        double[] source = Kernel.RandomValues(new System.Random(13), 31);
        var destination = _cpu.Reals(new float[40]);
        _cpu.Copy(_cpu.Reals(source).Slice(5, 17), destination.Slice(7, 17));
        float[] got = _cpu.Floats(destination);
        for (int i = 0; i < got.Length; i++) Assert.Equal(i is >= 7 and < 24 ? (float)source[i - 2] : 0f, got[i]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4097)]
    public void Axpy_Accumulates(int length)
    {
        var random = new System.Random(length);
        double[] x = Kernel.RandomValues(random, length), y = Kernel.RandomValues(random, length);
        var yView = _cpu.Reals(y);
        _cpu.Axpy(-0.75f, _cpu.Reals(x), yView);
        Kernel.AssertClose(y.Select((v, i) => v - 0.75 * x[i]).ToArray(), _cpu.Floats(yView), $"Axpy n={length}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(4097)]
    public void Scale_MultipliesInPlace(int length)
    {
        double[] x = Kernel.RandomValues(new System.Random(length), length);
        var view = _cpu.Reals(x);
        _cpu.Scale(view, 3.5f);
        Kernel.AssertClose(x.Select(v => 3.5 * v).ToArray(), _cpu.Floats(view), $"Scale n={length}");
    }

    /// <summary>Per-output sums and Σ|terms| of dy [rows, cols], over rows (PerColumn) or columns (PerRow).</summary>
    internal static (double[] Sums, double[] Magnitudes) NaiveBiasGradient(BiasMode mode, int rows, int cols, double[] dy)
    {
        int outputs = mode == BiasMode.PerColumn ? cols : rows;
        double[] sums = new double[outputs], magnitudes = new double[outputs];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int o = mode == BiasMode.PerColumn ? c : r;
                sums[o] += dy[r * cols + c];
                magnitudes[o] += Math.Abs(dy[r * cols + c]);
            }
        return (sums, magnitudes);
    }

    internal static void AssertSums(double[] expected, double[] magnitudes, float[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Kernel.AssertClose(expected[i], actual[i], $"{context} [{i}]", abs: Kernel.Abs * (1 + magnitudes[i]));
    }
}

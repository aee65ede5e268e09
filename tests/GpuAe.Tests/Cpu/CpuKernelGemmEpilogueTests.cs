using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// The GEMM epilogue through <see cref="IBackend.Gemm"/> (C = act(alpha op(A) op(B) + beta C + bias)) and
/// its argument validation. The GEMM core is covered by <see cref="GemmTests"/>. Tolerance per element:
/// |got - ref| &lt;= 1e-5 (1 + |alpha| Σ|a b| + |beta c| + |bias|) + 1e-5 |ref| — float rounding scales with
/// the magnitude of the terms summed, and every activation is 1-Lipschitz.
/// </summary>
public class CpuKernelGemmEpilogueTests
{
    readonly IBackend _cpu = new CpuBackend();

    static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (7, 13, 31), (31, 7, 13), (13, 31, 7), (1, 13, 7), (7, 1, 1)];

    public static TheoryData<Activation, BiasMode> EpilogueCases()
    {
        var data = new TheoryData<Activation, BiasMode>();
        foreach (var activation in Enum.GetValues<Activation>())
            foreach (var mode in Enum.GetValues<BiasMode>())
                data.Add(activation, mode);
        return data;
    }

    [Theory]
    [MemberData(nameof(EpilogueCases))]
    public void Epilogue_MatchesNaive(Activation activation, BiasMode biasMode)
    {
        var random = new System.Random((int)activation * 10 + (int)biasMode);
        foreach (var (m, n, k) in Shapes)
            foreach (var transA in Enum.GetValues<Transpose>())
                foreach (var transB in Enum.GetValues<Transpose>())
                    foreach (double beta in new[] { 0, 0.6 })
                        CheckEpilogue(random, m, n, k, transA, transB, alpha: 1.3, beta, biasMode, activation);
    }

    void CheckEpilogue(System.Random random, int m, int n, int k, Transpose transA, Transpose transB,
        double alpha, double beta, BiasMode biasMode, Activation activation)
    {
        string context = $"{activation} {biasMode} m={m} n={n} k={k} transA={transA} transB={transB} beta={beta}";
        // Stored operands with leading dimensions larger than needed, at an offset inside their buffer.
        var (aRows, aCols) = transA == Transpose.No ? (m, k) : (k, m);
        var (bRows, bCols) = transB == Transpose.No ? (k, n) : (n, k);
        int lda = aCols + 3, ldb = bCols + 2, ldc = n + 4;
        const int offset = 2;
        double[] a = Kernel.RandomValues(random, offset + aRows * lda), b = Kernel.RandomValues(random, offset + bRows * ldb);
        double[] bias = Kernel.RandomValues(random, biasMode == BiasMode.PerRow ? m : n);
        // C: random where beta reads it, NaN where it must not be read; the ldc padding is NaN and must stay so.
        double[] c = new double[offset + m * ldc];
        for (int i = 0; i < c.Length; i++)
        {
            int col = (i - offset) % ldc;
            c[i] = i >= offset && col < n && beta != 0 ? (float)(random.NextDouble() * 2 - 1) : double.NaN;
        }

        var cView = _cpu.Reals(c);
        _cpu.Gemm(transA, transB, m, n, k, (float)alpha,
            _cpu.Reals(a).Slice(offset, a.Length - offset), lda, _cpu.Reals(b).Slice(offset, b.Length - offset), ldb,
            (float)beta, cView.Slice(offset, c.Length - offset), ldc,
            biasMode, biasMode == BiasMode.None ? null : _cpu.Reals(bias), activation);
        float[] got = _cpu.Floats(cView);

        for (int i = 0; i < c.Length; i++)
        {
            int row = (i - offset) / ldc, col = (i - offset) % ldc;
            if (i < offset || col >= n)
            {
                Assert.True(float.IsNaN(got[i]), $"{context}: element {i} outside C was written");
                continue;
            }
            double sum = 0, magnitude = 0;
            for (int p = 0; p < k; p++)
            {
                double x = a[offset + (transA == Transpose.No ? row * lda + p : p * lda + row)];
                double y = b[offset + (transB == Transpose.No ? p * ldb + col : col * ldb + p)];
                sum += x * y;
                magnitude += Math.Abs(x * y);
            }
            double biasValue = biasMode switch { BiasMode.PerColumn => bias[col], BiasMode.PerRow => bias[row], _ => 0 };
            double accumulated = beta == 0 ? 0 : beta * c[i];
            double expected = CpuKernelActivationTests.F(activation, alpha * sum + accumulated + biasValue);
            double tolerance = Kernel.Abs * (1 + Math.Abs(alpha) * magnitude + Math.Abs(accumulated) + Math.Abs(biasValue));
            Kernel.AssertClose(expected, got[i], $"{context} C[{row},{col}]", abs: tolerance);
        }
    }

    /// <summary>m=4, n=5, k=3 with one operand made too small; the message must name the operand.
    /// Lengths are the view lengths; biasLength -1 means no bias view.</summary>
    [Theory]
    [InlineData("A [4, 3]", Transpose.No, Transpose.No, 3, 5, 5, 11, 15, 20, BiasMode.None, 0)]
    [InlineData("lda=2", Transpose.No, Transpose.No, 2, 5, 5, 12, 15, 20, BiasMode.None, 0)]
    [InlineData("A [4, 3] with stride 6", Transpose.No, Transpose.No, 6, 5, 5, 20, 15, 20, BiasMode.None, 0)]
    [InlineData("A [3, 4]", Transpose.Yes, Transpose.No, 4, 5, 5, 11, 15, 20, BiasMode.None, 0)]
    [InlineData("lda=3", Transpose.Yes, Transpose.No, 3, 5, 5, 12, 15, 20, BiasMode.None, 0)]
    [InlineData("B [3, 5]", Transpose.No, Transpose.No, 3, 5, 5, 12, 14, 20, BiasMode.None, 0)]
    [InlineData("ldb=4", Transpose.No, Transpose.No, 3, 4, 5, 12, 15, 20, BiasMode.None, 0)]
    [InlineData("B [5, 3]", Transpose.No, Transpose.Yes, 3, 3, 5, 12, 14, 20, BiasMode.None, 0)]
    [InlineData("ldb=2", Transpose.No, Transpose.Yes, 3, 2, 5, 12, 15, 20, BiasMode.None, 0)]
    [InlineData("C [4, 5]", Transpose.No, Transpose.No, 3, 5, 5, 12, 15, 19, BiasMode.None, 0)]
    [InlineData("ldc=4", Transpose.No, Transpose.No, 3, 5, 4, 12, 15, 20, BiasMode.None, 0)]
    [InlineData("bias mode PerColumn", Transpose.No, Transpose.No, 3, 5, 5, 12, 15, 20, BiasMode.PerColumn, -1)]
    [InlineData("bias has 4 elements, PerColumn needs 5", Transpose.No, Transpose.No, 3, 5, 5, 12, 15, 20, BiasMode.PerColumn, 4)]
    [InlineData("bias has 3 elements, PerRow needs 4", Transpose.No, Transpose.No, 3, 5, 5, 12, 15, 20, BiasMode.PerRow, 3)]
    public void TooSmallOperand_ThrowsNamingIt(string expectedInMessage, Transpose transA, Transpose transB,
        int lda, int ldb, int ldc, int aLength, int bLength, int cLength, BiasMode biasMode, int biasLength)
    {
        BufferView? bias = biasLength < 0 ? null : _cpu.Allocate(biasLength).All;
        var error = Assert.Throws<ArgumentException>(() => _cpu.Gemm(transA, transB, 4, 5, 3, 1f,
            _cpu.Allocate(aLength).All, lda, _cpu.Allocate(bLength).All, ldb, 0f, _cpu.Allocate(cLength).All, ldc, biasMode, bias));
        Assert.Contains(expectedInMessage, error.Message);
    }

    [Fact]
    public void ExactlyLargeEnoughOperands_AreAccepted()
    {
        // The same shapes as above with the minimal lengths (last row of a padded A needs only k elements).
        var c = _cpu.Allocate(20).All;
        _cpu.Gemm(Transpose.No, Transpose.No, 4, 5, 3, 1f, _cpu.Reals(Enumerable.Repeat(1f, 21).ToArray()), 6,
            _cpu.Reals(Enumerable.Repeat(1f, 15).ToArray()), 5, 0f, c, 5, BiasMode.PerRow, _cpu.Reals([0f, 1, 2, 3]));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 3f + i / 5), _cpu.Floats(c));
    }
}

using System.Numerics;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// Both CPU GEMM providers against a naive double-precision triple loop. Tolerance per element:
/// |got - ref| &lt;= absTol * k * (|alpha| + |beta|) + relTol * |ref|, with absTol = 1e-5 (float) or 1e-13
/// (double) and relTol = 1e-4 (float) or 1e-12 (double); operands are uniform in [-1, 1], so each
/// product is at most 1 and k-fold accumulation error grows at most like k ulps.
/// </summary>
public class GemmTests
{
    /// <summary>m, n, k: ones, primes, exact and ragged micro-tiles (6 x 16 floats, 6 x 8 doubles),
    /// more than one row block (144), depth block (256) and column block (4096 at kc = 256), packed
    /// and unpacked operands (A packed for wide chunks, B left unpacked for few rows), and the OpenBLAS
    /// provider's split of C into row or column blocks.</summary>
    static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 7, 13), (7, 1, 13), (13, 31, 7), (97, 13, 31), (31, 97, 97),
        (6, 16, 256), (12, 32, 1), (7, 17, 257), (145, 33, 520), (150, 40, 5), (20, 1500, 40), (2, 4100, 512),
        // OpenBLAS is called once per row block (96 rows) or per column block (31 rows, 200 columns)
        (96, 40, 97), (31, 200, 41),
    ];

    public static TheoryData<int, int, int, bool, bool> Cases()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, n, k) in Shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(m, n, k, ta, tb);
        return data;
    }

    /// <summary>(alpha, beta): plain, general, accumulate, and beta = 0 over NaN garbage.</summary>
    static readonly (double Alpha, double Beta)[] Scalars = [(1, 0), (0.7, -1.3), (1, 1), (-2, 0)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Managed_MatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        var gemm = new ManagedCpuGemm(2);
        CheckAgainstReference<float>(gemm, m, n, k, transA, transB);
        CheckAgainstReference<double>(gemm, m, n, k, transA, transB);
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void OpenBlas_MatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        Skip.IfNot(OpenBlas.IsAvailable, "OpenBLAS is not installed");
        var gemm = new OpenBlasCpuGemm();
        CheckAgainstReference<float>(gemm, m, n, k, transA, transB);
        CheckAgainstReference<double>(gemm, m, n, k, transA, transB);
    }

    /// <summary>The AVX-512 provider as a whole: float shapes that suit the kernel run it, the rest and double OpenBLAS.</summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    [InlineData(100, 130, 300, false, true)] // two row blocks
    [InlineData(256, 96, 70, true, false)]
    public void Avx512Provider_MatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        Skip.IfNot(OpenBlas.IsAvailable && Avx512Sgemm.IsSupported, "needs OpenBLAS and an AVX-512 CPU");
        var gemm = new Avx512CpuGemm(2);
        CheckAgainstReference<float>(gemm, m, n, k, transA, transB);
        CheckAgainstReference<double>(gemm, m, n, k, transA, transB);
    }

    /// <summary>The AVX-512 kernel itself on every shape, including the narrow ones the provider keeps from it,
    /// plus ragged tiles of its own (12 x 32 micro-tiles, depth blocks of 256, 96-row A blocks, 8 x 8 transposes).</summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    [InlineData(12, 32, 8, false, true)]
    [InlineData(13, 33, 9, false, true)]
    [InlineData(11, 31, 7, false, false)]
    [InlineData(97, 65, 263, true, false)]
    [InlineData(108, 96, 257, false, true)]
    [InlineData(200, 784, 70, false, false)]
    public void Avx512Kernel_MatchesReference(int m, int n, int k, bool transA, bool transB)
    {
        Skip.IfNot(Avx512Sgemm.IsSupported, "needs an AVX-512 CPU");
        CheckAgainstReference<float>(new Avx512KernelOnly(), m, n, k, transA, transB);
    }

    /// <summary>A row block of C computed by its own call has the bits of the whole call: what lets the provider split
    /// C over threads (at any boundary, not only multiples of the 12-row tile) without changing results.</summary>
    [SkippableTheory]
    [InlineData(256, 784, 512, false, true)]
    [InlineData(512, 784, 256, true, false)]
    [InlineData(100, 130, 300, false, false)]
    public void Avx512Kernel_RowBlocksAreBitIdenticalToTheWholeCall(int m, int n, int k, bool transA, bool transB)
    {
        Skip.IfNot(Avx512Sgemm.IsSupported, "needs an AVX-512 CPU");
        var random = new System.Random(11);
        int lda = transA ? m : k, ldb = transB ? k : n;
        float[] a = RandomArray<float>(random, m * k), b = RandomArray<float>(random, k * n);
        float[] c0 = RandomArray<float>(random, m * n);
        float[] whole = (float[])c0.Clone(), split = (float[])c0.Clone();
        var kernel = new Avx512KernelOnly();
        kernel.Multiply(transA, transB, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 0.5f, whole, 0, n);
        foreach (var (start, end) in new[] { (0, 37), (37, 50), (50, m) })
            kernel.Multiply(transA, transB, end - start, n, k, 0.75f, a, transA ? start : start * lda, lda, b, 0, ldb,
                0.5f, split, start * n, n);
        Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), split.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>Split over 1, 2, 3 or 5 threads (row blocks, column chunks or both), a call has the same bits, and
    /// its epilogue callback sees each row of C exactly once, after the row is final.</summary>
    [SkippableTheory]
    [InlineData(256, 784, 512, false, true)]
    [InlineData(30, 784, 256, true, false)]
    [InlineData(101, 200, 300, false, false)]
    public void Avx512Provider_IsBitIdenticalForAnyThreadCount_AndReportsEveryRowOnce(int m, int n, int k, bool transA, bool transB)
    {
        Skip.IfNot(OpenBlas.IsAvailable && Avx512Sgemm.IsSupported, "needs OpenBLAS and an AVX-512 CPU");
        var random = new System.Random(5);
        float[] a = RandomArray<float>(random, m * k), b = RandomArray<float>(random, k * n), c0 = RandomArray<float>(random, m * n);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 5 })
        {
            float[] c = (float[])c0.Clone();
            int[] seen = new int[m];
            new Avx512CpuGemm(threads).Multiply(transA, transB, m, n, k, 1.5f, a, 0, transA ? m : k, b, 0, transB ? k : n,
                -0.5f, c, 0, n, (start, end) =>
                {
                    for (int i = start; i < end; i++)
                    {
                        Interlocked.Increment(ref seen[i]);
                        Assert.NotEqual(BitConverter.SingleToInt32Bits(c0[i * n]), BitConverter.SingleToInt32Bits(c[i * n]));
                    }
                });
            Assert.All(seen, count => Assert.Equal(1, count));
            first ??= c;
            Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), c.Select(BitConverter.SingleToInt32Bits));
        }
    }

    /// <summary>The fused form (dz = dy * f'(y) formed on the packed A panels) against the two passes it replaces, bit
    /// for bit, for every activation, both layouts of A, ragged tiles and more than one depth block.</summary>
    [SkippableTheory]
    [InlineData(100, 130, 37, false)]
    [InlineData(37, 130, 100, true)]
    [InlineData(64, 784, 256, true)]
    [InlineData(30, 70, 600, true)] // three depth blocks, two column chunks (row sums from chunk 0 only)
    [InlineData(13, 65, 300, false)]
    [InlineData(256, 784, 64, false)]
    public unsafe void Avx512Kernel_ActivationGradient_HasTheBitsOfTheUnfusedPasses(int m, int n, int k, bool transA)
    {
        Skip.IfNot(Avx512Sgemm.IsSupported, "needs an AVX-512 CPU");
        var random = new System.Random(m + n + k);
        int lda = transA ? m : k;
        float[] dy = RandomArray<float>(random, m * k), b = RandomArray<float>(random, k * n);
        foreach (var activation in Enum.GetValues<GpuAe.Backends.Activation>())
        {
            float[] y = RandomArray<float>(random, m * k).Select(v => activation is GpuAe.Backends.Activation.Sigmoid ? (v + 1) / 2 : v).ToArray();
            float[] dz = new float[m * k], expected = new float[m * n], got = new float[m * n];
            // row sums of op(dz) = dzᵀ (db of a dense layer's dW GEMM), garbage beforehand: they are overwritten
            float[] expectedSums = new float[m], gotSums = Enumerable.Repeat(float.NaN, m).ToArray();
            GpuAe.Backends.Cpu.Kernels.ActivationKernels.Backward(activation, GpuAe.Backends.ActivationParameters.Default,
                new HostView<float>(y, 0, y.Length), new HostView<float>(dy, 0, dy.Length), new HostView<float>(dz, 0, dz.Length));
            if (transA)
                GpuAe.Backends.Cpu.Kernels.ReduceKernels.BiasGradient(GpuAe.Backends.BiasMode.PerColumn, k, m,
                    new HostView<float>(dz, 0, dz.Length), new HostView<float>(expectedSums, 0, m), accumulate: false);
            fixed (float* pdz = dz, pdy = dy, py = y, pb = b, pe = expected, pg = got, ps = gotSums)
            {
                Avx512Sgemm.Multiply(transA, false, m, n, k, 1f, pdz, lda, pb, n, 0f, pe, n, threads: 2, rowsDone: null);
                Avx512Sgemm.MultiplyActivationGradient(transA, false, m, n, k, activation, py, pdy, lda, pb, n, pg, n,
                    transA ? ps : null, threads: 2);
            }
            Assert.True(expected.Select(BitConverter.SingleToInt32Bits).SequenceEqual(got.Select(BitConverter.SingleToInt32Bits)),
                $"{activation}: the fused GEMM's bits differ from dz then GEMM");
            if (transA)
                Assert.True(expectedSums.Select(BitConverter.SingleToInt32Bits).SequenceEqual(gotSums.Select(BitConverter.SingleToInt32Bits)),
                    $"{activation}: the fused row sums' bits differ from the column sums of dz");
        }
    }

    [SkippableFact]
    public void Select_Auto_PrefersAvx512_WhereItRuns()
    {
        Skip.IfNot(OpenBlas.IsAvailable, "OpenBLAS is not installed");
        var auto = CpuGemm.Select("auto");
        Assert.Equal(Avx512Sgemm.IsSupported ? "avx512" : "openblas", auto.Choice);
        Assert.Equal(auto.Choice, CpuGemm.Select(auto.Choice).Choice);
        Assert.Equal("openblas", CpuGemm.Select("openblas").Choice);
        if (!Avx512Sgemm.IsSupported)
            Assert.Contains("AVX-512", Assert.Throws<InvalidOperationException>(() => CpuGemm.Select("avx512")).Message);
    }

    /// <summary><see cref="Avx512Sgemm"/> behind the provider interface, for every shape (no narrow-shape hand-off).</summary>
    sealed class Avx512KernelOnly : ICpuGemm
    {
        public string Name => "Avx512Sgemm";
        public string Choice => "avx512";

        public unsafe void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int aOffset, int lda,
            T[] b, int bOffset, int ldb, T beta, T[] c, int cOffset, int ldc, Action<int, int>? rowsDone = null)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            GemmArguments.Validate(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
            if (m == 0 || n == 0) return;
            if (k == 0 || alpha == T.Zero) { GemmArguments.ScaleC(m, n, beta, c, cOffset, ldc); return; }
            fixed (T* pa = a, pb = b, pc = c)
                Avx512Sgemm.Multiply(transA, transB, m, n, k, float.CreateTruncating(alpha), (float*)(pa + aOffset), lda,
                    (float*)(pb + bOffset), ldb, float.CreateTruncating(beta), (float*)(pc + cOffset), ldc);
        }
    }

    [Fact]
    public void Managed_KZero_ScalesC() => CheckKZero(new ManagedCpuGemm(2));

    [SkippableFact]
    public void OpenBlas_KZero_ScalesC()
    {
        Skip.IfNot(OpenBlas.IsAvailable, "OpenBLAS is not installed");
        CheckKZero(new OpenBlasCpuGemm());
    }

    [Theory]
    [InlineData(145, 33, 520, false, true)]
    [InlineData(256, 784, 32, true, false)]
    [InlineData(16, 5000, 9, false, false)]
    public void Managed_IsBitIdenticalForAnyThreadCount(int m, int n, int k, bool transA, bool transB)
    {
        var random = new System.Random(7);
        float[] a = RandomArray<float>(random, m * k), b = RandomArray<float>(random, k * n);
        float[] Run(int threads)
        {
            float[] c = RandomArray<float>(random, m * n);
            ManagedGemm.Multiply(transA, transB, m, n, k, 0.5f, a, 0, transA ? m : k, b, 0, transB ? k : n,
                0f, c, 0, n, threads);
            return c;
        }
        float[] one = Run(1);
        foreach (int threads in new[] { 1, 2, 3, 5 })
            Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), Run(threads).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Managed_RejectsBadArguments()
    {
        var gemm = new ManagedCpuGemm(1);
        float[] x = new float[12];
        // lda 2 < k 3
        Assert.Throws<ArgumentException>(() => gemm.Multiply(false, false, 4, 3, 3, 1f, x, 0, 2, x, 0, 3, 0f, x, 0, 3));
        // A [4,3] at offset 1 needs 13 elements
        Assert.Throws<ArgumentException>(() => gemm.Multiply(false, false, 4, 3, 3, 1f, x, 1, 3, x, 0, 3, 0f, x, 0, 3));
        Assert.Throws<NotSupportedException>(() => gemm.Multiply(false, false, 1, 1, 1,
            (Half)1, new Half[1], 0, 1, new Half[1], 0, 1, (Half)0, new Half[1], 0, 1));
    }

    [Fact]
    public void Select_HonoursPreference()
    {
        Assert.StartsWith("managed SIMD", CpuGemm.Select("managed", 2).Name);
        Assert.EndsWith("2 threads", CpuGemm.Select("Managed", 2).Name);
        var error = Assert.Throws<ArgumentException>(() => CpuGemm.Select("cublas"));
        Assert.Contains("cublas", error.Message);
    }

    [SkippableFact]
    public void Select_OpenBlas_WhenInstalled()
    {
        Skip.IfNot(OpenBlas.IsAvailable, "OpenBLAS is not installed");
        Assert.StartsWith("OpenBLAS", CpuGemm.Select("openblas").Name);
        Assert.Equal("managed", CpuGemm.Select("managed").Choice);
        Assert.Contains("OpenBLAS", OpenBlas.Config);
    }

    static void CheckAgainstReference<T>(ICpuGemm gemm, int m, int n, int k, bool transA, bool transB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new System.Random(m * 10007 + n * 101 + k);
        // Padded leading dimensions and offsets: the kernels must use them, not assume packing.
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2;
        int aOffset = 5, bOffset = 1, cOffset = 3;
        T[] a = RandomArray<T>(random, aOffset + (transA ? k : m) * lda);
        T[] b = RandomArray<T>(random, bOffset + (transB ? n : k) * ldb);
        double absTol = typeof(T) == typeof(float) ? 1e-5 : 1e-13, relTol = typeof(T) == typeof(float) ? 1e-4 : 1e-12;

        foreach (var (alpha, beta) in Scalars)
        {
            // beta = 0: C holds NaN everywhere, so a read of C (or a write outside it) shows up.
            T[] c = beta == 0 ? Enumerable.Repeat(T.NaN, cOffset + m * ldc + 4).ToArray()
                              : RandomArray<T>(random, cOffset + m * ldc + 4);
            T[] before = (T[])c.Clone();
            gemm.Multiply(transA, transB, m, n, k, T.CreateChecked(alpha), a, aOffset, lda, b, bOffset, ldb,
                T.CreateChecked(beta), c, cOffset, ldc);

            for (int index = 0; index < c.Length; index++)
            {
                int rel = index - cOffset, i = rel / ldc, j = rel % ldc;
                string where = $"{gemm.Name} {typeof(T).Name} m={m} n={n} k={k} transA={transA} transB={transB} alpha={alpha} beta={beta} C[{i},{j}]";
                if (rel < 0 || i >= m || j >= n)
                {
                    Assert.True(c[index].Equals(before[index]), $"{where}: element outside C was written");
                    continue;
                }
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = double.CreateChecked(transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p]);
                    double y = double.CreateChecked(transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j]);
                    sum += x * y;
                }
                double expected = alpha * sum + (beta == 0 ? 0 : beta * double.CreateChecked(before[index]));
                double got = double.CreateChecked(c[index]);
                double tolerance = absTol * Math.Max(k, 1) * (Math.Abs(alpha) + Math.Abs(beta)) + relTol * Math.Abs(expected);
                Assert.True(Math.Abs(got - expected) <= tolerance, $"{where}: got {got}, expected {expected} ± {tolerance}");
            }
        }
    }

    static void CheckKZero(ICpuGemm gemm)
    {
        float[] a = [], b = [];
        float[] c = [1, 2, 3, 4, 5, 6];
        gemm.Multiply(false, false, 2, 3, 0, 1f, a, 0, 0, b, 0, 3, 2f, c, 0, 3);
        Assert.Equal([2f, 4, 6, 8, 10, 12], c);
        c = [float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN];
        gemm.Multiply(true, true, 2, 3, 0, 1f, a, 0, 2, b, 0, 0, 0f, c, 0, 3);
        Assert.Equal(new float[6], c);
    }

    static T[] RandomArray<T>(System.Random random, int length) where T : IFloatingPointIeee754<T>
    {
        var x = new T[length];
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return x;
    }
}

using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// A CPU GEMM provider: C = alpha * op(A) op(B) + beta * C, row-major. op(A) is A [m,k] (lda &gt;= k)
/// or Aᵀ with A stored [k,m] (lda &gt;= m); likewise B [k,n] or Bᵀ stored [n,k]. beta = 0 overwrites C
/// without reading it; k = 0 gives C = beta * C. T is float or double. Chosen by <see cref="CpuGemm.Select"/>.
/// </summary>
internal interface ICpuGemm
{
    /// <summary>What runs, for logs and benchmark tables, e.g. "OpenBLAS 0.3.21 (...), 2 threads".</summary>
    string Name { get; }

    /// <summary>The <see cref="CpuGemm.Select"/> choice that gives this provider again ("avx512", "openblas",
    /// "managed"): recorded with a training run, so a resumed run computes with the same kernels, bit for bit.</summary>
    string Choice { get; }

    /// <summary>See <see cref="ICpuGemm"/>. Offsets are in elements into each array. <paramref name="rowsDone"/>, when
    /// given, is called once for each range of a partition of rows [0, m) of C, after those rows are final, possibly on
    /// several threads at once (an epilogue that runs where the rows are still in cache).</summary>
    void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc, Action<int, int>? rowsDone = null)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>C = op(dz) op(B) with dz = dy * f'(y) formed while the GEMM reads dy (the A operand; y has its layout,
    /// and is not read for <see cref="Activation.Linear"/>, where dz is dy), and with <paramref name="rowSums"/> the row
    /// sums of op(dz) = dzᵀ, bit-identical to forming dz with
    /// <see cref="Kernels.ActivationKernels.Backward{T}"/>, summing its columns with
    /// <see cref="Kernels.ReduceKernels.BiasGradient{T}"/> and multiplying; or false, with nothing done, where this
    /// provider has no such path for the shape (the caller then does just that).</summary>
    bool TryMultiplyActivationGradient(bool transA, bool transB, int m, int n, int k, Activation activation,
        float[]? y, int yOffset, float[] dy, int dyOffset, int lda, float[] b, int bOffset, int ldb,
        float[] c, int cOffset, int ldc, float[]? rowSums, int rowSumsOffset) => false;
}

/// <summary><see cref="ManagedGemm"/> with a fixed thread count. Bit-identical for any thread count.</summary>
internal sealed class ManagedCpuGemm(int threads) : ICpuGemm
{
    public ManagedCpuGemm() : this(Environment.ProcessorCount) { }

    public int Threads { get; } = threads >= 1 ? threads
        : throw new ArgumentOutOfRangeException(nameof(threads), threads, "GEMM needs at least one thread.");

    public string Choice => "managed";

    public string Name => $"managed SIMD ({CpuFeatures.VectorIsa}, Vector<float>={System.Numerics.Vector<float>.Count}), {Threads} threads";

    public void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc, Action<int, int>? rowsDone = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
            beta, c, cOffset, ldc, Threads);
        rowsDone?.Invoke(0, m);
    }
}

/// <summary>
/// GEMM through OpenBLAS's CBLAS, one OpenBLAS thread per call: GpuAe splits C into row (or column) blocks, one per
/// core, and the <see cref="CpuParallel"/> workers each make a single-threaded call on their block.
/// </summary>
/// <remarks>
/// Why not OpenBLAS's own threads: a training step alternates GEMMs with GpuAe's parallel elementwise kernels, and
/// OpenBLAS's idle threads spin on the cores those kernels need, while ours hand over between the two. In the dense32
/// step (benchmarks/cpu-kernels, "dense32 breakdown") the skinny GEMMs (one side 32) took 0.55-0.65x the time and the
/// step 0.7-0.8x. Rows are preferred: a thread's output rows are then the rows the next elementwise kernel gives the
/// same thread (CpuParallel's front/back claiming), still in its cache. Results depend on the shape and the thread
/// count only, not on scheduling; like any change of blocking they are not bit-identical to one multithreaded call.
/// </remarks>
internal sealed class OpenBlasCpuGemm : ICpuGemm
{
    /// <summary>Below this many multiply-adds a call runs whole on the calling thread: a fork costs more.</summary>
    private const long SerialWork = 1L << 17;

    /// <summary>The least rows (or columns) a block gets; thinner blocks made OpenBLAS's packing dominate.</summary>
    private const int MinBlock = 32;

    /// <summary>Binds OpenBLAS and sets its (process-wide) thread count to 1; throws <see cref="DllNotFoundException"/>
    /// when it is missing. <paramref name="threads"/> &lt;= 0 means all cores.</summary>
    public OpenBlasCpuGemm(int threads = 0)
    {
        OpenBlas.EnsureLoaded();
        OpenBlas.SetThreads(1);
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
    }

    public string Choice => "openblas";

    /// <summary>Blocks per call at most (one per core by default).</summary>
    public int Threads { get; }

    public string Name => $"{OpenBlas.Config}, {Threads} threads (one OpenBLAS call per row block)";

    public void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc, Action<int, int>? rowsDone = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmArguments.RequireFloatOrDouble<T>();
        GemmArguments.Validate(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) return;
        // Keep k = 0 and the beta = 0 overwrite out of the library: the contract is ours, not CBLAS's.
        if (k == 0 || alpha == T.Zero)
        {
            GemmArguments.ScaleC(m, n, beta, c, cOffset, ldc);
            rowsDone?.Invoke(0, m);
            return;
        }
        bool byRows = m >= MinBlock * 2;
        int extent = byRows ? m : n;
        int blocks = (long)m * n * k < SerialWork ? 1 : Math.Min(Threads, extent / MinBlock);
        if (blocks <= 1)
        {
            Call(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
            rowsDone?.Invoke(0, m);
            return;
        }
        CpuParallel.For(blocks, 1, (first, last) =>
        {
            for (int block = first; block < last; block++)
            {
                int start = (int)((long)extent * block / blocks), end = (int)((long)extent * (block + 1) / blocks);
                if (byRows) // rows [start, end) of op(A) and C
                {
                    Call(transA, transB, end - start, n, k, alpha, a, aOffset + (transA ? start : start * lda), lda,
                        b, bOffset, ldb, beta, c, cOffset + start * ldc, ldc);
                    rowsDone?.Invoke(start, end);
                }
                else // columns [start, end) of op(B) and C
                    Call(transA, transB, m, end - start, k, alpha, a, aOffset, lda,
                        b, bOffset + (transB ? start * ldb : start), ldb, beta, c, cOffset + start, ldc);
            }
        });
        if (!byRows) rowsDone?.Invoke(0, m);
    }

    private static unsafe void Call<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ta = transA ? OpenBlas.Trans : OpenBlas.NoTrans, tb = transB ? OpenBlas.Trans : OpenBlas.NoTrans;
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (typeof(T) == typeof(float))
                OpenBlas.cblas_sgemm(OpenBlas.RowMajor, ta, tb, m, n, k, float.CreateTruncating(alpha),
                    (float*)(pa + aOffset), lda, (float*)(pb + bOffset), ldb,
                    float.CreateTruncating(beta), (float*)(pc + cOffset), ldc);
            else
                OpenBlas.cblas_dgemm(OpenBlas.RowMajor, ta, tb, m, n, k, double.CreateTruncating(alpha),
                    (double*)(pa + aOffset), lda, (double*)(pb + bOffset), ldb,
                    double.CreateTruncating(beta), (double*)(pc + cOffset), ldc);
        }
    }
}

/// <summary>
/// GpuAe's <see cref="Avx512Sgemm"/> for the float calls it suits (at least 12 rows and 64 columns: 1.5-2x OpenBLAS's
/// AVX2 kernels on the dense-layer shapes), splitting its own work over the <see cref="CpuParallel"/> workers; every
/// other call (double, narrow) goes to <see cref="OpenBlasCpuGemm"/>.
/// </summary>
internal sealed class Avx512CpuGemm : ICpuGemm
{
    private readonly OpenBlasCpuGemm _rest;

    /// <summary>Needs AVX-512 (<see cref="PlatformNotSupportedException"/> otherwise) and OpenBLAS
    /// (<see cref="DllNotFoundException"/>). <paramref name="threads"/> &lt;= 0 means all cores.</summary>
    public Avx512CpuGemm(int threads = 0)
    {
        if (!Avx512Sgemm.IsSupported)
            throw new PlatformNotSupportedException("The AVX-512 float GEMM needs a CPU with AVX-512 (and a JIT that uses 512-bit vectors).");
        _rest = new OpenBlasCpuGemm(threads);
    }

    public string Choice => "avx512";

    /// <summary>Threads per call at most.</summary>
    public int Threads => _rest.Threads;

    public string Name => $"GpuAe AVX-512 SGEMM, with {OpenBlas.Config} for double and narrow shapes, {Threads} threads";

    public unsafe void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc, Action<int, int>? rowsDone = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) || !Avx512Sgemm.Suits(m, n) || k == 0 || alpha == T.Zero)
        {
            _rest.Multiply(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc, rowsDone);
            return;
        }
        GemmArguments.Validate(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        fixed (T* pa = a, pb = b, pc = c)
            Avx512Sgemm.Multiply(transA, transB, m, n, k, float.CreateTruncating(alpha), (float*)(pa + aOffset), lda,
                (float*)(pb + bOffset), ldb, float.CreateTruncating(beta), (float*)(pc + cOffset), ldc, Threads, rowsDone);
    }

    public unsafe bool TryMultiplyActivationGradient(bool transA, bool transB, int m, int n, int k, Activation activation,
        float[]? y, int yOffset, float[] dy, int dyOffset, int lda, float[] b, int bOffset, int ldb,
        float[] c, int cOffset, int ldc, float[]? rowSums, int rowSumsOffset)
    {
        if (!Avx512Sgemm.Suits(m, n) || k == 0 || (rowSums is not null && !transA)) return false;
        GemmArguments.Validate(transA, transB, m, n, k, dy, dyOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        fixed (float* py = y, pdy = dy, pb = b, pc = c, ps = rowSums)
            Avx512Sgemm.MultiplyActivationGradient(transA, transB, m, n, k, activation, py == null ? null : py + yOffset,
                pdy + dyOffset, lda, pb + bOffset, ldb, pc + cOffset, ldc, ps == null ? null : ps + rowSumsOffset, Threads);
        return true;
    }
}

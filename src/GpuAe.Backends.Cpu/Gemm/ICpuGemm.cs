using System.Numerics;

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

    /// <summary>See <see cref="ICpuGemm"/>. Offsets are in elements into each array.</summary>
    void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary><see cref="ManagedGemm"/> with a fixed thread count. Bit-identical for any thread count.</summary>
internal sealed class ManagedCpuGemm(int threads) : ICpuGemm
{
    public ManagedCpuGemm() : this(Environment.ProcessorCount) { }

    public int Threads { get; } = threads >= 1 ? threads
        : throw new ArgumentOutOfRangeException(nameof(threads), threads, "GEMM needs at least one thread.");

    public string Name => $"managed SIMD ({CpuFeatures.VectorIsa}, Vector<float>={System.Numerics.Vector<float>.Count}), {Threads} threads";

    public void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
            beta, c, cOffset, ldc, Threads);
}

/// <summary>
/// GEMM through OpenBLAS's CBLAS. Fast, but not bit-reproducible across thread counts. The thread
/// count is OpenBLAS's process-wide setting.
/// </summary>
internal sealed class OpenBlasCpuGemm : ICpuGemm
{
    /// <summary>Binds OpenBLAS; throws <see cref="DllNotFoundException"/> when it is missing.
    /// <paramref name="threads"/> &gt; 0 sets OpenBLAS's (process-wide) thread count.</summary>
    public OpenBlasCpuGemm(int threads = 0)
    {
        OpenBlas.EnsureLoaded();
        if (threads > 0) OpenBlas.SetThreads(threads);
    }

    public string Name => $"{OpenBlas.Config}, {OpenBlas.Threads} threads";

    public unsafe void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmArguments.RequireFloatOrDouble<T>();
        GemmArguments.Validate(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) return;
        // Keep k = 0 and the beta = 0 overwrite out of the library: the contract is ours, not CBLAS's.
        if (k == 0 || alpha == T.Zero)
        {
            GemmArguments.ScaleC(m, n, beta, c, cOffset, ldc);
            return;
        }
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

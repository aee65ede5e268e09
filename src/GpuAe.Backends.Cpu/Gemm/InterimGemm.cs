using System.Numerics;

namespace GpuAe.Backends.Cpu;

// Interim naive GEMM until the gemm branch lands; replaced by ManagedGemm/OpenBLAS.
internal interface ICpuGemm
{
    string Name { get; }
    void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int aOffset, int lda,
        T[] b, int bOffset, int ldb, T beta, T[] c, int cOffset, int ldc) where T : unmanaged, IFloatingPointIeee754<T>;
}

internal static class CpuGemm
{
    public static ICpuGemm Select(string? preference) => new Naive();

    private sealed class Naive : ICpuGemm
    {
        public string Name => "naive";
        public void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int aOffset, int lda,
            T[] b, int bOffset, int ldb, T beta, T[] c, int cOffset, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Parallel.For(0, m, i =>
            {
                for (int j = 0; j < n; j++)
                {
                    T s = T.Zero;
                    for (int p = 0; p < k; p++)
                        s += a[aOffset + (transA ? p * lda + i : i * lda + p)] * b[bOffset + (transB ? j * ldb + p : p * ldb + j)];
                    int ci = cOffset + i * ldc + j;
                    c[ci] = alpha * s + (beta == T.Zero ? T.Zero : beta * c[ci]);
                }
            });
        }
    }
}

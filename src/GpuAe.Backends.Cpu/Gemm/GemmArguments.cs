using System.Numerics;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// Argument checks and the degenerate cases shared by every <see cref="ICpuGemm"/> provider, so that
/// managed and native GEMM reject the same bad calls with the same messages and agree on k = 0.
/// </summary>
internal static class GemmArguments
{
    /// <summary>
    /// Throws unless every matrix fits its array: op(A) is [m,k], op(B) is [k,n], C is [m,n], all
    /// row-major with the given leading dimensions. Providers index with pointers after this check.
    /// </summary>
    public static void Validate<T>(bool transA, bool transB, int m, int n, int k,
        T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb, T[] c, int cOffset, int ldc)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"GEMM sizes must be non-negative, got m={m}, n={n}, k={k}.");
        // Stored shapes: A is [m,k] or, transposed, [k,m]; likewise B.
        CheckMatrix("A", a.Length, aOffset, lda, transA ? k : m, transA ? m : k, transA);
        CheckMatrix("B", b.Length, bOffset, ldb, transB ? n : k, transB ? k : n, transB);
        CheckMatrix("C", c.Length, cOffset, ldc, m, n, false);
    }

    static void CheckMatrix(string name, int length, int offset, int ld, int rows, int cols, bool trans)
    {
        string shape = $"{name}{(trans ? " (transposed)" : "")} stored [{rows},{cols}]";
        if (ld < cols)
            throw new ArgumentException($"GEMM: leading dimension {ld} of {shape} is less than its {cols} columns.");
        if (offset < 0 || offset > length)
            throw new ArgumentOutOfRangeException(name, $"GEMM: offset {offset} of {shape} is outside its array of {length}.");
        if (rows == 0 || cols == 0) return;
        long end = offset + (long)(rows - 1) * ld + cols;
        if (end > length)
            throw new ArgumentException(
                $"GEMM: {shape} with leading dimension {ld} at offset {offset} needs {end} elements, array has {length}.");
    }

    /// <summary>C = beta * C over [m,n]: what GEMM reduces to when k = 0 or alpha = 0. beta = 0 writes
    /// zeros without reading C (which may hold NaN garbage); beta = 1 leaves C untouched.</summary>
    public static void ScaleC<T>(int m, int n, T beta, T[] c, int cOffset, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            Span<T> row = c.AsSpan(cOffset + i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else
                for (int j = 0; j < row.Length; j++) row[j] *= beta;
        }
    }

    /// <summary>Throws unless T is float or double, the only element types GEMM is built for.</summary>
    public static void RequireFloatOrDouble<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"GEMM supports float and double, not {typeof(T).Name}.");
    }
}

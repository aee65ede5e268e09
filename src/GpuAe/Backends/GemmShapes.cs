namespace GpuAe.Backends;

/// <summary>Argument validation shared by every backend's GEMM, so a bad call fails the same way everywhere.</summary>
public static class GemmShapes
{
    public static void Check(Transpose transA, Transpose transB, int m, int n, int k,
        long aLength, int lda, long bLength, int ldb, long cLength, int ldc, BiasMode biasMode, long? biasLength)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"gemm: negative size m={m} n={n} k={k}");
        // A is stored [m, k] (no transpose) or [k, m]; lda is its row stride.
        (int aRows, int aCols) = transA == Transpose.No ? (m, k) : (k, m);
        (int bRows, int bCols) = transB == Transpose.No ? (k, n) : (n, k);
        CheckOperand("A", aRows, aCols, lda, aLength);
        CheckOperand("B", bRows, bCols, ldb, bLength);
        CheckOperand("C", m, n, ldc, cLength);
        if (biasMode == BiasMode.None) return;
        long needed = biasMode == BiasMode.PerColumn ? n : m;
        if (biasLength is null) throw new ArgumentException($"gemm: bias mode {biasMode} needs a bias view of {needed} elements");
        if (biasLength < needed) throw new ArgumentException($"gemm: bias has {biasLength} elements, {biasMode} needs {needed}");
    }

    /// <summary>The checks of <see cref="IBackend.GemmActivationGradient"/> beyond <see cref="Check"/>: a known activation,
    /// y as long as dy when the derivative reads it, and for row sums m of them and a contiguous dz (lda = its column count).</summary>
    public static void CheckActivationGradient(Transpose transA, int m, int n, int k, Activation activation, long yLength, long dyLength,
        int lda, long? rowSumsLength)
    {
        if (!Enum.IsDefined(activation)) throw new ArgumentException($"GemmActivationGradient: unknown activation {(int)activation}");
        if (activation != Activation.Linear && yLength < dyLength)
            throw new ArgumentException($"GemmActivationGradient: y has {yLength} elements, dy (same layout) has {dyLength}");
        if (rowSumsLength is not { } sums) return;
        if (sums < m) throw new ArgumentException($"GemmActivationGradient: rowSums has {sums} elements, needs m = {m}");
        int columns = transA == Transpose.No ? k : m;
        if (lda != columns) throw new ArgumentException($"GemmActivationGradient: row sums need a contiguous dz (lda = {columns}), got lda = {lda}");
        if (n == 0 && m > 0) throw new ArgumentException("GemmActivationGradient: row sums need n >= 1 (column block 0 writes them)");
    }

    private static void CheckOperand(string name, int rows, int cols, int ld, long length)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"gemm: ld{name.ToLowerInvariant()}={ld} is smaller than the {cols} columns of {name} [{rows}, {cols}]");
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed) throw new ArgumentException($"gemm: {name} [{rows}, {cols}] with stride {ld} needs {needed} elements, the view has {length}");
    }
}

namespace GpuAe.Benchmarks;

/// <summary>One GEMM problem: C[m,n] = op(A)[m,k] op(B)[k,n], with a label saying where it comes from.</summary>
public sealed record GemmShape(string Label, bool TransA, bool TransB, int M, int N, int K) : IComparable
{
    /// <summary>BenchmarkDotNet sorts parameters with this: keep the order of <see cref="All"/>, not alphabetical.</summary>
    public int CompareTo(object? other) =>
        other is GemmShape shape ? IndexOf(this).CompareTo(IndexOf(shape)) : 1;

    static int IndexOf(GemmShape shape) => ((IList<GemmShape>)All).IndexOf(shape);

    /// <summary>Floating-point operations of one multiply (a multiply-add counts as two).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>The square sizes and the autoencoder shapes the CPU backend runs every step.</summary>
    public static IReadOnlyList<GemmShape> All { get; } =
    [
        new("square", false, false, 256, 256, 256),
        new("square", false, false, 512, 512, 512),
        new("square", false, false, 1024, 1024, 1024),
        // 784-32-784 AE, batch 256; weights stored [out, in], so forward is Y = X Wᵀ.
        new("enc Y=XWᵀ", false, true, 256, 32, 784),
        new("dec Y=XWᵀ", false, true, 256, 784, 32),
        new("dW=dYᵀX", true, false, 32, 784, 256),
        new("dX=dY W", false, false, 256, 784, 32),
        // Conv AE by im2col: W [out, C*3*3] x columns [C*3*3, batch*H*W].
        new("conv1 im2col", false, false, 16, 100352, 9),
        new("conv2 im2col", false, false, 8, 25088, 144),
    ];

    /// <summary>Shown in the BenchmarkDotNet table, e.g. "256x32x784 NT enc Y=XWᵀ".</summary>
    public override string ToString() => $"{M}x{N}x{K} {(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')} {Label}";
}

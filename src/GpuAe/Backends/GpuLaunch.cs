namespace GpuAe.Backends;

/// <summary>A checked view as a kernel takes it: the buffer's device handle (a <c>cl_mem</c> or a <c>CUdeviceptr</c>),
/// and the view's offset and length in elements (kernels index with int; buffers hold at most 2^31-1 elements).</summary>
public readonly record struct KernelView(nint Handle, int Offset, int Length)
{
    public bool IsEmpty => Length == 0;
}

/// <summary>How the work of one launch is laid out, in the terms the portable kernel bodies use; each backend
/// turns it into its own NDRange or grid and block (<see cref="GpuBackend.Launch"/>).</summary>
public enum LaunchKind
{
    /// <summary>One work-item per element of <see cref="LaunchShape.X"/> (the kernel bounds-checks).</summary>
    Elementwise,
    /// <summary>x along a row of <see cref="LaunchShape.X"/>, y over <see cref="LaunchShape.Y"/> rows, z over
    /// <see cref="LaunchShape.Z"/> planes; the kernel bounds-checks x only, so y and z must be covered exactly.</summary>
    Rows,
    /// <summary>(column, row) over <see cref="LaunchShape.X"/> columns and <see cref="LaunchShape.Y"/> rows, both
    /// bounds-checked in the kernel (gather_rows).</summary>
    Gather,
    /// <summary><see cref="LaunchShape.X"/> work-groups of the backend's reduction width (<see cref="GpuBackend.ReduceLocal"/>).</summary>
    Groups,
}

/// <summary>The layout of one launch: a <see cref="LaunchKind"/> and its sizes.</summary>
public readonly record struct LaunchShape(LaunchKind Kind, int X, int Y = 1, int Z = 1)
{
    public static LaunchShape Elementwise(long count) =>
        new(LaunchKind.Elementwise, count <= int.MaxValue ? (int)count : throw new ArgumentOutOfRangeException(nameof(count), count, "kernels index with int"));
    public static LaunchShape Rows(int rowLength, int rows, int planes = 1) => new(LaunchKind.Rows, rowLength, rows, planes);
    public static LaunchShape Gather(int rowLength, int rows) => new(LaunchKind.Gather, rowLength, rows);
    public static LaunchShape Groups(int groups) => new(LaunchKind.Groups, groups);
}

/// <summary>A checked GEMM call (<see cref="IBackend.Gemm"/>) with its views resolved; absent bias = the dummy buffer.
/// <see cref="Fusion"/> carries the fused operand forms (<see cref="IBackend.GemmActivationGradient"/>,
/// <see cref="IBackend.GemmGatherRows"/>); a plain GEMM has <see cref="GemmFusion.IsNone"/>.</summary>
public readonly record struct GemmCall(
    Transpose TransA, Transpose TransB, int M, int N, int K,
    float Alpha, KernelView A, int Lda, KernelView B, int Ldb,
    float Beta, KernelView C, int Ldc,
    BiasMode BiasMode, KernelView Bias, Activation Activation, GemmFusion Fusion)
{
    /// <summary>0..3: nn, nt, tn, tt (the order of every backend's GEMM kernel variants).</summary>
    public int Variant => (TransA == Transpose.Yes ? 2 : 0) + (TransB == Transpose.Yes ? 1 : 0);

    /// <summary>The arguments every GEMM kernel of both backends takes:
    /// (m, n, k, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, biasMode, bias, biasOff, activation);
    /// the kernels with fused operand forms (gemm.cl's gemm_cpu_* and gemm_tiled_*, gemm.cu's gemm_f32_*) take
    /// <see cref="GemmFusion.Pack"/>'s arguments after these.</summary>
    public KernelArgs PackPlain(KernelArgs args) =>
        args.Int(M).Int(N).Int(K).Float(Alpha).View(A).Int(Lda).View(B).Int(Ldb)
            .Float(Beta).View(C).Int(Ldc).Int((int)BiasMode).View(Bias).Int((int)Activation);

    /// <summary><see cref="PackPlain"/> then the fusion arguments: what a kernel with fused operand forms takes.</summary>
    public KernelArgs Pack(KernelArgs args) => Fusion.Pack(PackPlain(args));
}

/// <summary>The fused operand forms of a GEMM launch (flags as FUSE_* in kernels/opencl/gemm.cl and kernels/cuda/gemm.cu).</summary>
[Flags]
public enum GemmFuse
{
    None = 0,
    /// <summary>op(A) is A · f'(Y): the activation derivative applied on A's loads.</summary>
    ActivationDerivative = 1,
    /// <summary>RowSums[i] = Σ_k op(A)[i][k], k in order, by column block 0.</summary>
    RowSums = 2,
    /// <summary>Row i of A (not transposed) is row RowIndex[i]; column block 0 writes the rows it reads to Gathered.</summary>
    GatherRows = 4,
}

/// <summary>The fused operand arguments of a GEMM launch; views a form does not use are the backend's dummy buffer.</summary>
public readonly record struct GemmFusion(GemmFuse Flags, Activation Derivative, KernelView Y, KernelView RowSums, KernelView RowIndex, KernelView Gathered)
{
    public bool IsNone => Flags == GemmFuse.None;

    /// <summary>No fusion, every view the dummy buffer <paramref name="dummy"/>.</summary>
    public static GemmFusion None(nint dummy)
    {
        var d = new KernelView(dummy, 0, 0);
        return new GemmFusion(GemmFuse.None, Activation.Linear, d, d, d, d);
    }

    /// <summary>(fuse, dAct, Y, yOff, rowSums, rsOff, rowIndex, riOff, gathered, gOff).</summary>
    public KernelArgs Pack(KernelArgs args) =>
        args.Int((int)Flags).Int((int)Derivative).View(Y).View(RowSums).View(RowIndex).View(Gathered);
}

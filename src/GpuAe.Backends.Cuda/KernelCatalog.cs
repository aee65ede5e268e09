namespace GpuAe.Backends.Cuda;

/// <summary>
/// Every entry the CUDA backend binds, by family (kernels/cuda/&lt;family&gt;.cu, kernels/cuda/ptx/&lt;family&gt;.ptx) and
/// name: the portable kernels it shares with OpenCL (<see cref="PortableKernels"/>), plus what only CUDA has —
/// the step-capture variants that read step-dependent values from device memory, and its GEMM tiles.
/// </summary>
public static class KernelCatalog
{
    public static readonly KernelEntry GatherRowsStepped = new("elementwise", "gather_rows_stepped");
    public static readonly KernelEntry StepAdvance = new("elementwise", "step_advance");
    public static readonly KernelEntry OptimizerUpdateStepped = new("optim", "optimizer_update_stepped");
    public static readonly KernelEntry RandomFillStepped = new("rand", "random_fill_stepped");

    // gemm.cu's FP32 tiles and gemm_tc.cu's TF32 kernels, indexed [GemmTile][GemmCall.Variant: nn, nt, tn, tt]
    private static readonly KernelEntry[][] Gemms =
    [
        GemmEntries("gemm", "gemm_f32_t128_"), GemmEntries("gemm", "gemm_f32_t64_"), GemmEntries("gemm", "gemm_f32_t32_"),
        GemmEntries("gemm_tc", "gemm_tf32_"),
    ];

    /// <summary>The GEMM kernel of a tile and a transpose variant (<see cref="GemmCall.Variant"/>).</summary>
    public static KernelEntry Gemm(GemmTile tile, int variant) => Gemms[(int)tile][variant];

    // gemm.cu's gathering forward GEMM (nt) under step capture, per FP32 tile (T128, T64, T32)
    private static readonly KernelEntry[] GatherSteppedGemms =
        new[] { "t128", "t64", "t32" }.Select(t => new KernelEntry("gemm", $"gemm_f32_{t}_nt_stepped")).ToArray();

    /// <summary>The gathering GEMM of an FP32 tile that reads its indices at the replayed step's position.</summary>
    public static KernelEntry GemmGatherStepped(GemmTile tile) =>
        tile == GemmTile.Tf32 ? throw new ArgumentException("the TF32 GEMM has no fused forms", nameof(tile)) : GatherSteppedGemms[(int)tile];

    /// <summary>Every bound entry. The generic activation_forward/_backward (activation code as an argument) are
    /// bound for tools and tests; the backend launches the per-kind kernels.</summary>
    public static IReadOnlyList<KernelEntry> Entries { get; } =
    [
        .. PortableKernels.All, GatherRowsStepped, StepAdvance, OptimizerUpdateStepped, RandomFillStepped,
        new("activation", "activation_forward"), new("activation", "activation_backward"),
        .. Gemms.SelectMany(tile => tile), .. GatherSteppedGemms,
    ];

    private static KernelEntry[] GemmEntries(string family, string prefix) =>
        new[] { "nn", "nt", "tn", "tt" }.Select(t => new KernelEntry(family, prefix + t)).ToArray();
}

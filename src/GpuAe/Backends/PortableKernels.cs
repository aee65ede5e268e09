namespace GpuAe.Backends;

/// <summary>
/// The kernels of the ABI that both GPU backends compile from one portable body (kernels/common/portable.h):
/// the same family, entry name and parameter list in kernels/opencl/*.cl and kernels/cuda/*.cu.
/// <see cref="GpuBackend"/> launches these; each backend adds its own GEMMs (and CUDA its step-capture variants).
/// </summary>
public static class PortableKernels
{
    public static readonly KernelEntry Fill = new("elementwise", "fill");
    public static readonly KernelEntry Axpy = new("elementwise", "axpy");
    public static readonly KernelEntry Scale = new("elementwise", "scale");
    public static readonly KernelEntry AddClampedNoise = new("elementwise", "add_clamped_noise");
    public static readonly KernelEntry GatherRows = new("elementwise", "gather_rows");
    public static readonly KernelEntry Im2Col = new("conv", "im2col");
    public static readonly KernelEntry Col2Im = new("conv", "col2im");
    public static readonly KernelEntry SwapLeadingAxes = new("conv", "swap_leading_axes");
    public static readonly KernelEntry SwapLeadingAxes3d = new("conv", "swap_leading_axes_3d");
    public static readonly KernelEntry ConvForward = new("conv", "conv_forward");
    public static readonly KernelEntry ConvBackwardData = new("conv", "conv_backward_data");
    public static readonly KernelEntry ConvBackwardFilter = new("conv", "conv_backward_filter");
    public static readonly KernelEntry MaxPoolForward = new("pool", "maxpool_forward");
    public static readonly KernelEntry MaxPoolBackward = new("pool", "maxpool_backward");
    public static readonly KernelEntry AvgPoolForward = new("pool", "avgpool_forward");
    public static readonly KernelEntry AvgPoolBackward = new("pool", "avgpool_backward");
    public static readonly KernelEntry UpsampleNearestForward = new("upsample", "upsample_nearest_forward");
    public static readonly KernelEntry UpsampleNearestBackward = new("upsample", "upsample_nearest_backward");
    public static readonly KernelEntry UpsampleBilinearForward = new("upsample", "upsample_bilinear_forward");
    public static readonly KernelEntry UpsampleBilinearBackward = new("upsample", "upsample_bilinear_backward");
    public static readonly KernelEntry LossPartials = new("loss", "loss_partials");
    public static readonly KernelEntry LossLanes = new("loss", "loss_lanes");
    public static readonly KernelEntry ActivationBackwardBias = new("activation", "activation_backward_bias");
    public static readonly KernelEntry OptimizerUpdate = new("optim", "optimizer_update");
    public static readonly KernelEntry RandomFill = new("rand", "random_fill");
    public static readonly KernelEntry SumPartials = new("reduce", "sum_partials");
    public static readonly KernelEntry SumFinal = new("reduce", "sum_final");
    public static readonly KernelEntry RowSums = new("reduce", "row_sums");
    public static readonly KernelEntry ColumnSums = new("reduce", "column_sums");
    public static readonly KernelEntry ActivityPenalty = new("penalty", "activity_penalty");
    public static readonly KernelEntry ContractivePenalty = new("penalty", "contractive_penalty");
    public static readonly KernelEntry VaeReparameterizeForward = new("vae", "vae_reparameterize_forward");
    public static readonly KernelEntry VaeReparameterizeBackwardPartials = new("vae", "vae_reparameterize_backward_partials");

    // activation.cl / activation.cu: one kernel per kind (GPUAE_ACTIVATION_KERNELS), indexed by Activation
    private static readonly string[] KindSuffixes = ["linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus"];
    private static readonly KernelEntry[] Forward = PerKind("activation_forward_");
    private static readonly KernelEntry[] Backward = PerKind("activation_backward_");
    private static readonly KernelEntry[] ChannelBias = PerKind("channel_bias_activation_");

    // loss.cl: the element-parallel loss terms of CPU OpenCL devices, indexed by LossKind
    private static readonly KernelEntry[] LossTerms =
        [new("loss", "loss_elementwise_squared"), new("loss", "loss_elementwise_absolute"), new("loss", "loss_elementwise_bce_logits"),
         new("loss", "loss_elementwise_bce_probabilities")];

    /// <summary>activation_forward_&lt;kind&gt;.</summary>
    public static KernelEntry ActivationForward(Activation activation) => Pick(Forward, activation);
    /// <summary>activation_backward_&lt;kind&gt;.</summary>
    public static KernelEntry ActivationBackward(Activation activation) => Pick(Backward, activation);
    /// <summary>channel_bias_activation_&lt;kind&gt;.</summary>
    public static KernelEntry ChannelBiasActivation(Activation activation) => Pick(ChannelBias, activation);
    /// <summary>loss_elementwise_&lt;kind&gt;: per-element loss terms and gradient, no reduction.</summary>
    public static KernelEntry LossElementwise(LossKind kind) =>
        (uint)kind < (uint)LossTerms.Length ? LossTerms[(int)kind] : throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss");

    /// <summary>Every portable entry.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } =
    [
        Fill, Axpy, Scale, AddClampedNoise, GatherRows, Im2Col, Col2Im, SwapLeadingAxes, SwapLeadingAxes3d,
        ConvForward, ConvBackwardData, ConvBackwardFilter,
        MaxPoolForward, MaxPoolBackward, AvgPoolForward, AvgPoolBackward, UpsampleNearestForward, UpsampleNearestBackward,
        UpsampleBilinearForward, UpsampleBilinearBackward,
        LossPartials, LossLanes, ActivationBackwardBias, .. LossTerms, OptimizerUpdate, RandomFill, SumPartials, SumFinal, RowSums, ColumnSums,
        ActivityPenalty, ContractivePenalty, VaeReparameterizeForward, VaeReparameterizeBackwardPartials,
        .. Forward, .. Backward, .. ChannelBias,
    ];

    private static KernelEntry[] PerKind(string prefix) => KindSuffixes.Select(k => new KernelEntry("activation", prefix + k)).ToArray();

    private static KernelEntry Pick(KernelEntry[] entries, Activation activation) =>
        (uint)activation < (uint)entries.Length ? entries[(int)activation]
            : throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
}

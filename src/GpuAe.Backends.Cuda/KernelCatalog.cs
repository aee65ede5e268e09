namespace GpuAe.Backends.Cuda;

/// <summary>Every kernel the CUDA backend launches. The order of <see cref="KernelCatalog.Entries"/>.</summary>
public enum KernelId
{
    Fill, Axpy, Scale, AddClampedNoise, GatherRows, GatherRowsStepped, StepAdvance,
    ActivationForward, ActivationBackward,
    ActivationForwardLinear, ActivationForwardRelu, ActivationForwardLeakyRelu, ActivationForwardElu,
    ActivationForwardSigmoid, ActivationForwardTanh, ActivationForwardSoftplus,
    ActivationBackwardLinear, ActivationBackwardRelu, ActivationBackwardLeakyRelu, ActivationBackwardElu,
    ActivationBackwardSigmoid, ActivationBackwardTanh, ActivationBackwardSoftplus,
    ChannelBiasActivationLinear, ChannelBiasActivationRelu, ChannelBiasActivationLeakyRelu, ChannelBiasActivationElu,
    ChannelBiasActivationSigmoid, ChannelBiasActivationTanh, ChannelBiasActivationSoftplus,
    Im2Col, Col2Im, SwapLeadingAxes, SwapLeadingAxes3d,
    MaxPoolForward, MaxPoolBackward, AvgPoolForward, AvgPoolBackward,
    UpsampleNearestForward, UpsampleNearestBackward,
    LossPartials, LossElementwiseSquared, LossElementwiseAbsolute, LossElementwiseBceLogits,
    OptimizerUpdate, OptimizerUpdateStepped, RandomFill, RandomFillStepped,
    SumPartials, SumFinal, RowSums, ColumnSums,
    ActivityPenalty, ContractivePenalty,
    GemmT128Nn, GemmT128Nt, GemmT128Tn, GemmT128Tt,
    GemmT64Nn, GemmT64Nt, GemmT64Tn, GemmT64Tt,
    GemmT32Nn, GemmT32Nt, GemmT32Tn, GemmT32Tt,
    GemmTf32Nn, GemmTf32Nt, GemmTf32Tn, GemmTf32Tt,
    VaeReparameterizeForward, VaeReparameterizeBackwardPartials,
}

/// <summary>Which .entry of which PTX family (kernels/cuda/&lt;family&gt;.cu) each <see cref="KernelId"/> binds.</summary>
public static class KernelCatalog
{
    public static IReadOnlyList<(KernelId Id, string Family, string Entry)> Entries { get; } = Build();

    public static (string Family, string Entry) Of(KernelId id) => (Entries[(int)id].Family, Entries[(int)id].Entry);

    /// <summary>The per-kind kernel activation_{forward,backward}_&lt;kind&gt; of an activation.</summary>
    public static KernelId ActivationKernel(Activation activation, bool backward) =>
        PerKind(backward ? KernelId.ActivationBackwardLinear : KernelId.ActivationForwardLinear, activation);

    /// <summary>The per-kind kernel channel_bias_activation_&lt;kind&gt; of an activation.</summary>
    public static KernelId ChannelBiasActivationKernel(Activation activation) => PerKind(KernelId.ChannelBiasActivationLinear, activation);

    private static KernelId PerKind(KernelId linear, Activation activation)
    {
        if ((uint)activation > (uint)Activation.Softplus)
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "no CUDA kernel for this activation");
        return linear + (int)activation;
    }

    private static (KernelId, string, string)[] Build()
    {
        var list = new List<(KernelId, string, string)>
        {
            (KernelId.Fill, "elementwise", "fill"), (KernelId.Axpy, "elementwise", "axpy"), (KernelId.Scale, "elementwise", "scale"),
            (KernelId.AddClampedNoise, "elementwise", "add_clamped_noise"),
            (KernelId.GatherRows, "elementwise", "gather_rows"), (KernelId.GatherRowsStepped, "elementwise", "gather_rows_stepped"),
            (KernelId.StepAdvance, "elementwise", "step_advance"),
            (KernelId.ActivationForward, "activation", "activation_forward"), (KernelId.ActivationBackward, "activation", "activation_backward"),
            (KernelId.Im2Col, "conv", "im2col"), (KernelId.Col2Im, "conv", "col2im"),
            (KernelId.SwapLeadingAxes, "conv", "swap_leading_axes"), (KernelId.SwapLeadingAxes3d, "conv", "swap_leading_axes_3d"),
            (KernelId.MaxPoolForward, "pool", "maxpool_forward"), (KernelId.MaxPoolBackward, "pool", "maxpool_backward"),
            (KernelId.AvgPoolForward, "pool", "avgpool_forward"), (KernelId.AvgPoolBackward, "pool", "avgpool_backward"),
            (KernelId.UpsampleNearestForward, "upsample", "upsample_nearest_forward"), (KernelId.UpsampleNearestBackward, "upsample", "upsample_nearest_backward"),
            (KernelId.LossPartials, "loss", "loss_partials"),
            // the element-parallel loss of CPU OpenCL devices: bound so every entry is, launched only by tools
            (KernelId.LossElementwiseSquared, "loss", "loss_elementwise_squared"),
            (KernelId.LossElementwiseAbsolute, "loss", "loss_elementwise_absolute"),
            (KernelId.LossElementwiseBceLogits, "loss", "loss_elementwise_bce_logits"),
            (KernelId.OptimizerUpdate, "optim", "optimizer_update"), (KernelId.OptimizerUpdateStepped, "optim", "optimizer_update_stepped"),
            (KernelId.RandomFill, "rand", "random_fill"), (KernelId.RandomFillStepped, "rand", "random_fill_stepped"),
            (KernelId.SumPartials, "reduce", "sum_partials"), (KernelId.SumFinal, "reduce", "sum_final"),
            (KernelId.RowSums, "reduce", "row_sums"), (KernelId.ColumnSums, "reduce", "column_sums"),
            (KernelId.ActivityPenalty, "penalty", "activity_penalty"), (KernelId.ContractivePenalty, "penalty", "contractive_penalty"),
            (KernelId.VaeReparameterizeForward, "vae", "vae_reparameterize_forward"),
            (KernelId.VaeReparameterizeBackwardPartials, "vae", "vae_reparameterize_backward_partials"),
        };
        // one kernel per activation kind (activation.cl): the backend launches these; the generic
        // activation_forward/_backward above (activation code as an argument) stay for tools and tests
        (Activation Kind, string Name)[] kinds =
        [
            (Activation.Linear, "linear"), (Activation.Relu, "relu"), (Activation.LeakyRelu, "leaky_relu"), (Activation.Elu, "elu"),
            (Activation.Sigmoid, "sigmoid"), (Activation.Tanh, "tanh"), (Activation.Softplus, "softplus"),
        ];
        foreach (var (kind, name) in kinds)
        {
            list.Add((ActivationKernel(kind, backward: false), "activation", $"activation_forward_{name}"));
            list.Add((ActivationKernel(kind, backward: true), "activation", $"activation_backward_{name}"));
            list.Add((ChannelBiasActivationKernel(kind), "activation", $"channel_bias_activation_{name}"));
        }
        foreach (var tile in new[] { "t128", "t64", "t32" })
            foreach (var t in new[] { "nn", "nt", "tn", "tt" })
                list.Add((Enum.Parse<KernelId>($"Gemm{char.ToUpperInvariant(tile[0])}{tile[1..]}{char.ToUpperInvariant(t[0])}{t[1]}"), "gemm", $"gemm_f32_{tile}_{t}"));
        foreach (var t in new[] { "nn", "nt", "tn", "tt" })
            list.Add((Enum.Parse<KernelId>($"GemmTf32{char.ToUpperInvariant(t[0])}{t[1]}"), "gemm_tc", $"gemm_tf32_{t}"));
        var result = list.OrderBy(e => e.Item1).ToArray();
        for (int i = 0; i < result.Length; i++)
            if ((int)result[i].Item1 != i) throw new InvalidOperationException($"kernel catalog has no entry for {(KernelId)i}");
        return result;
    }
}

using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// The CPU references of the fused ABI entries that cut GPU launches per step (issue #13): each is the unfused
/// sequence it replaces, so the CPU backend gives the same bits as before the fusion.
/// </summary>
internal static class FusedKernels
{
    /// <summary>dz = dy * f'(y) (fixed activation parameters), then dbias = Σ_rows dz in row order.</summary>
    public static void ActivationBackwardBias<T>(Activation activation, int rows, int cols, HostView<T> y, HostView<T> dy, HostView<T> dz,
        HostView<T> dbias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ActivationKernels.Backward(activation, ActivationParameters.Default, y, dy, dz);
        ReduceKernels.BiasGradient(BiasMode.PerColumn, rows, cols, dz, dbias, accumulate: false);
    }

    /// <summary>
    /// The A operand of a fused gradient GEMM (<see cref="IBackend.GemmActivationGradient"/>) as the layer's launches
    /// formed it before the fusion: dz = dy * f'(y) over dy's whole view (Linear: dz is dy, not written), and the row
    /// sums of op(dz) when asked (dz contiguous): for op(dz) = dzᵀ the column sums of dz [k, m] in row order, i.e.
    /// <see cref="ActivationBackwardBias"/> or the linear layer's bias gradient; for op(dz) = dz the row sums of [m, k].
    /// </summary>
    public static void ActivationGradientOperand<T>(Activation activation, bool transposed, int m, int k, HostView<T> y, HostView<T> dy,
        HostView<T> dz, HostView<T>? rowSums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool linear = activation == Activation.Linear;
        if (rowSums is { } sums && transposed && !linear)
        {
            int n = m * k;
            ActivationBackwardBias(activation, k, m, y with { Length = n }, dy with { Length = n }, dz with { Length = n }, sums);
            return;
        }
        if (!linear) ActivationKernels.Backward(activation, ActivationParameters.Default, y, dy, dz);
        if (rowSums is { } s)
            ReduceKernels.BiasGradient(transposed ? BiasMode.PerColumn : BiasMode.PerRow, transposed ? k : m, transposed ? m : k,
                dz with { Length = m * k }, s, accumulate: false);
    }

    /// <summary>The loss as <see cref="LossKernels.Run"/> accumulating into lane 0 (the other lanes stay as they are).</summary>
    public static void LossLanes<T>(LossKind kind, HostView<T> prediction, HostView<T> target, T scale, HostView<T> lanes, HostView<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossKernels.Run(kind, prediction, target, scale, lanes with { Length = 1 }, accumulateLoss: true, gradient);
}

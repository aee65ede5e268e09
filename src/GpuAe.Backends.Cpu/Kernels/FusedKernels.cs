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

    /// <summary>The loss as <see cref="LossKernels.Run"/> accumulating into lane 0 (the other lanes stay as they are).</summary>
    public static void LossLanes<T>(LossKind kind, HostView<T> prediction, HostView<T> target, T scale, HostView<T> lanes, HostView<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossKernels.Run(kind, prediction, target, scale, lanes with { Length = 1 }, accumulateLoss: true, gradient);
}

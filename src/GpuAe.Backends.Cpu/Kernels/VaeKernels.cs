using System.Numerics;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>The VAE's reparameterization z = μ + exp(logσ²/2)·ε and its backward fused with the KL term.
/// Latents are small (batch x units, a few thousand values), so one thread in index order: the KL sum has
/// a fixed order and is accumulated in double.</summary>
internal static class VaeKernels
{
    public static void ReparameterizeForward<T>(HostView<T> mean, HostView<T> logVar, HostView<T> epsilon, HostView<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateTruncating(0.5);
        for (int i = 0; i < z.Length; i++) z[i] = mean[i] + T.Exp(half * logVar[i]) * epsilon[i];
    }

    /// <summary>loss (=, or +=) klScale·½Σ(μ² + σ² − 1 − logσ²); with gradients, dμ = dz + klScale·μ and
    /// dlogσ² = ½(dz·σ·ε + klScale·(σ² − 1)). σ² is computed as σ·σ, as the GPU kernels do.</summary>
    public static void ReparameterizeBackward<T>(HostView<T> mean, HostView<T> logVar, HostView<T> epsilon, T klScale,
        HostView<T> loss, bool accumulateLoss, HostView<T> dz, HostView<T> dMean, HostView<T> dLogVar)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateTruncating(0.5);
        bool withGradient = dz.Data is not null;
        double kl = 0;
        for (int i = 0; i < mean.Length; i++)
        {
            T m = mean[i], lv = logVar[i];
            T sd = T.Exp(half * lv), variance = sd * sd;
            kl += double.CreateTruncating(half * (m * m + variance - T.One - lv));
            if (!withGradient) continue;
            T g = dz[i];   // read before dMean is written: dMean may alias dz
            dMean[i] = g + klScale * m;
            dLogVar[i] = half * (g * sd * epsilon[i] + klScale * (variance - T.One));
        }
        T value = T.CreateTruncating(kl) * klScale;
        loss[0] = accumulateLoss ? loss[0] + value : value;
    }
}

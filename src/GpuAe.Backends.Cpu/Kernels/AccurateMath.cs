using System.Numerics;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// log1p and expm1 accurate to a few ulps at every magnitude, in float32 and float64. .NET's LogP1 and ExpM1 are
/// log(x + 1) and exp(x) - 1, which lose every digit of a tiny argument (softplus(-20) would be 0, ELU(-1e-8) 0).
/// The same forms as kernels/common/portable.h's gpuae_log1p / gpuae_expm1, so every backend rounds alike.
/// </summary>
internal static class AccurateMath
{
    /// <summary>log(1 + e) for e &gt; -1 (Goldberg): the rounding error of u = 1 + e is divided back out.</summary>
    public static T LogP1<T>(T e) where T : IFloatingPointIeee754<T>
    {
        T u = T.One + e;
        return u == T.One ? e : T.Log(u) * (e / (u - T.One));
    }

    /// <summary>exp(x) - 1 (Kahan): (u - 1) · x / log(u) with u = exp(x) cancels the rounding of u.</summary>
    public static T ExpM1<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T u = T.Exp(x);
        if (u == T.One) return x;
        T um1 = u - T.One;
        return um1 == -T.One ? -T.One : um1 * (x / T.Log(u));
    }
}

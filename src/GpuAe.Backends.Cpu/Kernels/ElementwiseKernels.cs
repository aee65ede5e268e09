using System.Numerics;
using System.Numerics.Tensors;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>fill / copy / axpy / scale / add-clamped-noise.</summary>
internal static class ElementwiseKernels
{
    /// <summary>y += alpha * x (accumulates).</summary>
    public static void Axpy<T>(T alpha, HostView<T> x, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.MultiplyAdd(x.Span, alpha, y.Span, y.Span);

    /// <summary>noise = clamp(clean + factor * noise, min, max) (overwrites noise).</summary>
    public static void AddClampedNoise<T>(HostView<T> clean, T factor, HostView<T> noise, T min, T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = clean.Span;
        var n = noise.Span;
        for (int i = 0; i < n.Length; i++) n[i] = T.Min(T.Max(c[i] + factor * n[i], min), max);
    }

    /// <summary>x *= alpha (in place).</summary>
    public static void Scale<T>(HostView<T> x, T alpha) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Multiply(x.Span, alpha, x.Span);
}

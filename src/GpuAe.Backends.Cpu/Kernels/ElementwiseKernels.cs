using System.Numerics;
using System.Numerics.Tensors;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>fill / copy / axpy / scale.</summary>
internal static class ElementwiseKernels
{
    /// <summary>y += alpha * x (accumulates).</summary>
    public static void Axpy<T>(T alpha, HostView<T> x, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.MultiplyAdd(x.Span, alpha, y.Span, y.Span);

    /// <summary>x *= alpha (in place).</summary>
    public static void Scale<T>(HostView<T> x, T alpha) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Multiply(x.Span, alpha, x.Span);
}

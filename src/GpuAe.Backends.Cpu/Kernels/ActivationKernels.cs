using System.Numerics;
using System.Numerics.Tensors;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Activations forward/backward and the GEMM bias+activation epilogue. Derivatives are
/// computed from the output y (see <see cref="Activation"/>).</summary>
internal static class ActivationKernels
{
    private const int Grain = 16384;

    public static void Forward<T>(Activation activation, HostView<T> x, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(y.Length, Grain, (start, end) => ForwardSpan(activation, x.Part(start, end - start), y.Part(start, end - start)));

    public static void Backward<T>(Activation activation, HostView<T> y, HostView<T> dy, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(dx.Length, Grain, (start, end) =>
            BackwardSpan(activation, y.Part(start, end - start), dy.Part(start, end - start), dx.Part(start, end - start)));

    /// <summary>C rows (stride ldc, n used) += bias, then activation, in place.</summary>
    public static void BiasActivationEpilogue<T>(int m, int n, HostView<T> c, int ldc, BiasMode biasMode, HostView<T> bias, Activation activation)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(m, Math.Max(1, Grain / Math.Max(1, n)), (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                var r = c.Part(row * ldc, n);
                if (biasMode == BiasMode.PerColumn) TensorPrimitives.Add(r, bias.Part(0, n), r);
                else if (biasMode == BiasMode.PerRow) TensorPrimitives.Add(r, bias[row], r);
                ForwardSpan(activation, r, r);
            }
        });

    /// <summary>y[n, c, :] = f(x[n, c, :] + bias[c]) for each of the batch * channels planes (NCHW). x may be y.</summary>
    public static void ChannelBiasForward<T>(Activation activation, int batch, int channels, int plane, HostView<T> x, HostView<T> bias, HostView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(batch * channels, Math.Max(1, Grain / Math.Max(1, plane)), (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var target = y.Part(p * plane, plane);
                TensorPrimitives.Add(x.Part(p * plane, plane), bias[p % channels], target);
                ForwardSpan(activation, target, target);
            }
        });

    internal static void ForwardSpan<T>(Activation activation, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear: if (!x.Overlaps(y)) x.CopyTo(y); break;
            case Activation.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
            case Activation.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case Activation.Tanh: TensorPrimitives.Tanh(x, y); break;
            case Activation.LeakyRelu:
                T slope = T.CreateTruncating(ActivationConstants.LeakyReluSlope);
                for (int i = 0; i < y.Length; i++) y[i] = x[i] > T.Zero ? x[i] : slope * x[i];
                break;
            case Activation.Elu:
                for (int i = 0; i < y.Length; i++) y[i] = x[i] > T.Zero ? x[i] : T.Exp(x[i]) - T.One;
                break;
            case Activation.Softplus:
                // max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|, no lost digits for very negative x.
                for (int i = 0; i < y.Length; i++) y[i] = T.Max(x[i], T.Zero) + T.LogP1(T.Exp(-T.Abs(x[i])));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    private static void BackwardSpan<T>(Activation activation, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear: if (!dy.Overlaps(dx)) dy.CopyTo(dx); break;
            case Activation.Relu:
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > T.Zero ? dy[i] : T.Zero;
                break;
            case Activation.LeakyRelu:
                T slope = T.CreateTruncating(ActivationConstants.LeakyReluSlope);
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > T.Zero ? dy[i] : slope * dy[i];
                break;
            case Activation.Elu: // y = exp(x) - 1 for x <= 0, so f'(x) = y + 1 there
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > T.Zero ? dy[i] : dy[i] * (y[i] + T.One);
                break;
            case Activation.Sigmoid:
                for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * y[i] * (T.One - y[i]);
                break;
            case Activation.Tanh:
                for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * (T.One - y[i] * y[i]);
                break;
            case Activation.Softplus: // sigmoid(x) = 1 - exp(-softplus(x)) = -expm1(-y)
                for (int i = 0; i < dx.Length; i++) dx[i] = -dy[i] * T.ExpM1(-y[i]);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }
}

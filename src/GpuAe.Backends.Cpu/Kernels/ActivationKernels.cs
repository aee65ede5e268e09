using System.Numerics;
using System.Numerics.Tensors;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Activations forward/backward (with their <see cref="ActivationParameters"/>) and the GEMM bias+activation
/// epilogue (fixed parameters). Derivatives are computed from the output y (see <see cref="Activation"/>).</summary>
internal static class ActivationKernels
{
    private const int Grain = 16384;

    public static void Forward<T>(Activation activation, ActivationParameters parameters, HostView<T> x, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(y.Length, Grain, (start, end) => ForwardSpan(activation, parameters, x.Part(start, end - start), y.Part(start, end - start)));

    public static void Backward<T>(Activation activation, ActivationParameters parameters, HostView<T> y, HostView<T> dy, HostView<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(dx.Length, Grain, (start, end) =>
            BackwardSpan(activation, parameters, y.Part(start, end - start), dy.Part(start, end - start), dx.Part(start, end - start)));

    /// <summary>C rows [firstRow, endRow) (stride ldc, n used) += bias, then the fused activation (fixed parameters), in
    /// place.</summary>
    public static void BiasActivationEpilogue<T>(int firstRow, int endRow, int n, HostView<T> c, int ldc, BiasMode biasMode, HostView<T> bias,
        Activation activation) where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(endRow - firstRow, Math.Max(1, Grain / Math.Max(1, n)), (start, end) =>
        {
            for (int row = firstRow + start; row < firstRow + end; row++)
            {
                var r = c.Part(row * ldc, n);
                if (biasMode == BiasMode.PerColumn) TensorPrimitives.Add(r, bias.Part(0, n), r);
                else if (biasMode == BiasMode.PerRow) TensorPrimitives.Add(r, bias[row], r);
                ForwardSpan(activation, ActivationParameters.Default, r, r);
            }
        });

    /// <summary>y[n, c, :] = f(x[n, c, :] + bias[c]) for each of the batch * channels planes (NCHW), f fused (fixed
    /// parameters). x may be y.</summary>
    public static void ChannelBiasForward<T>(Activation activation, int batch, int channels, int plane, HostView<T> x, HostView<T> bias, HostView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.For(batch * channels, Math.Max(1, Grain / Math.Max(1, plane)), (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var target = y.Part(p * plane, plane);
                TensorPrimitives.Add(x.Part(p * plane, plane), bias[p % channels], target);
                ForwardSpan(activation, ActivationParameters.Default, target, target);
            }
        });

    internal static void ForwardSpan<T>(Activation activation, in ActivationParameters parameters, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear: if (!x.Overlaps(y)) x.CopyTo(y); break;
            case Activation.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
            case Activation.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case Activation.Tanh:
                // the C library's tanh: TensorPrimitives.Tanh gives -2^-24 at 0 (and loses small arguments' digits)
                for (int i = 0; i < y.Length; i++) y[i] = T.Tanh(x[i]);
                break;
            case Activation.LeakyRelu:
            {
                T slope = T.CreateTruncating(parameters.NegativeSlope);
                int i = 0;
                for (; i <= y.Length - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var v = new Vector<T>(x[i..]);
                    Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), v, new Vector<T>(slope) * v).CopyTo(y[i..]);
                }
                for (; i < y.Length; i++) y[i] = x[i] > T.Zero ? x[i] : slope * x[i];
                break;
            }
            case Activation.Elu:
                T alpha = T.CreateTruncating(parameters.Alpha);
                for (int i = 0; i < y.Length; i++) y[i] = x[i] > T.Zero ? x[i] : alpha * AccurateMath.ExpM1(x[i]);
                break;
            case Activation.Softplus:
                T beta = T.CreateTruncating(parameters.Beta), threshold = T.CreateTruncating(parameters.Threshold);
                // (max(bx, 0) + log1p(exp(-|bx|))) / beta: no overflow for large |bx|, every digit for very negative bx
                for (int i = 0; i < y.Length; i++)
                {
                    T bx = beta * x[i];
                    y[i] = bx > threshold ? x[i] : (T.Max(bx, T.Zero) + AccurateMath.LogP1(T.Exp(-T.Abs(bx)))) / beta;
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    internal static void BackwardSpan<T>(Activation activation, in ActivationParameters parameters, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear: if (!dy.Overlaps(dx)) dy.CopyTo(dx); break;
            case Activation.Relu:
                Map(y, dy, dx, new ReluSlope<T>());
                break;
            case Activation.LeakyRelu:
                Map(y, dy, dx, new LeakySlope<T>(T.CreateTruncating(parameters.NegativeSlope)));
                break;
            case Activation.Elu: // y = alpha (exp(x) - 1) for x <= 0, so f'(x) = alpha exp(x) = y + alpha there
                Map(y, dy, dx, new EluSlope<T>(T.CreateTruncating(parameters.Alpha)));
                break;
            case Activation.Sigmoid:
                Map(y, dy, dx, new SigmoidSlope<T>());
                break;
            case Activation.Tanh:
                Map(y, dy, dx, new TanhSlope<T>());
                break;
            case Activation.Softplus: // sigmoid(beta x) = 1 - exp(-beta softplus(x)) = -expm1(-beta y); 1 on the linear part
                T beta = T.CreateTruncating(parameters.Beta), threshold = T.CreateTruncating(parameters.Threshold);
                for (int i = 0; i < dx.Length; i++)
                {
                    T by = beta * y[i];
                    dx[i] = by > threshold ? dy[i] : -dy[i] * AccurateMath.ExpM1(-by);
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary>dx = dy * f'(x) written through y, the same operations in vector and scalar form (same bits either way;
    /// selects instead of branches, which random signs mispredict).</summary>
    private interface IBackwardRule<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        T Apply(T y, T dy);
        Vector<T> Apply(Vector<T> y, Vector<T> dy);
    }

    private readonly struct ReluSlope<T> : IBackwardRule<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T y, T dy) => y > T.Zero ? dy : T.Zero;
        public Vector<T> Apply(Vector<T> y, Vector<T> dy) => Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<T>.Zero), dy, Vector<T>.Zero);
    }

    private readonly struct LeakySlope<T>(T slope) : IBackwardRule<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T y, T dy) => y > T.Zero ? dy : slope * dy;
        public Vector<T> Apply(Vector<T> y, Vector<T> dy) => Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<T>.Zero), dy, new Vector<T>(slope) * dy);
    }

    private readonly struct EluSlope<T>(T alpha) : IBackwardRule<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T y, T dy) => y > T.Zero ? dy : dy * (y + alpha);
        public Vector<T> Apply(Vector<T> y, Vector<T> dy) => Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<T>.Zero), dy, dy * (y + new Vector<T>(alpha)));
    }

    private readonly struct SigmoidSlope<T> : IBackwardRule<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T y, T dy) => dy * y * (T.One - y);
        public Vector<T> Apply(Vector<T> y, Vector<T> dy) => dy * y * (Vector<T>.One - y);
    }

    private readonly struct TanhSlope<T> : IBackwardRule<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T y, T dy) => dy * (T.One - y * y);
        public Vector<T> Apply(Vector<T> y, Vector<T> dy) => dy * (Vector<T>.One - y * y);
    }

    private static void Map<T, TRule>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, TRule rule)
        where T : unmanaged, IFloatingPointIeee754<T> where TRule : struct, IBackwardRule<T>
    {
        int i = 0, width = Vector<T>.Count;
        for (; i <= dx.Length - width; i += width)
            rule.Apply(new Vector<T>(y[i..]), new Vector<T>(dy[i..])).CopyTo(dx[i..]);
        for (; i < dx.Length; i++) dx[i] = rule.Apply(y[i], dy[i]);
    }
}

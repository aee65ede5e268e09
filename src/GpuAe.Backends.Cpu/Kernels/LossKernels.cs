using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Fused loss + gradient in one pass. The loss is summed per fixed 4096-element chunk (in
/// double) and the chunk sums added in order, so the result does not depend on the thread count.</summary>
internal static class LossKernels
{
    private const int Chunk = 4096;

    public static void Run<T>(LossKind kind, HostView<T> prediction, HostView<T> target, T scale, HostView<T> loss,
        bool accumulateLoss, HostView<T> gradient) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (prediction.Length + Chunk - 1) / Chunk;
        double[] partial = ArrayPool<double>.Shared.Rent(Math.Max(1, chunks));
        try
        {
            bool withGradient = gradient.Data is not null;
            CpuParallel.For(chunks, 4, (first, last) =>
            {
                Span<T> scratch = stackalloc T[Chunk];
                for (int chunk = first; chunk < last; chunk++)
                {
                    int start = chunk * Chunk, length = Math.Min(Chunk, prediction.Length - start);
                    partial[chunk] = RunChunk(kind, prediction.Part(start, length), target.Part(start, length), scale,
                        withGradient ? gradient.Part(start, length) : default, scratch[..length]);
                }
            });
            double total = 0;
            for (int chunk = 0; chunk < chunks; chunk++) total += partial[chunk];
            T value = T.CreateTruncating(total) * scale;
            loss[0] = accumulateLoss ? loss[0] + value : value;
        }
        finally { ArrayPool<double>.Shared.Return(partial); }
    }

    /// <summary>Writes scale*∂l/∂p into <paramref name="gradient"/> (when not empty) and returns Σ l (unscaled).</summary>
    private static double RunChunk<T>(LossKind kind, ReadOnlySpan<T> p, ReadOnlySpan<T> t, T scale, Span<T> gradient, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case LossKind.SquaredError:
                TensorPrimitives.Subtract(p, t, scratch);
                if (!gradient.IsEmpty) TensorPrimitives.Multiply(scratch, scale + scale, gradient);
                return double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(scratch));
            case LossKind.AbsoluteError:
                TensorPrimitives.Subtract(p, t, scratch);
                if (!gradient.IsEmpty)
                    for (int i = 0; i < scratch.Length; i++) gradient[i] = scale * T.CreateTruncating(T.Sign(scratch[i]));
                return double.CreateTruncating(TensorPrimitives.SumOfMagnitudes<T>(scratch));
            case LossKind.BinaryCrossEntropyWithLogits:
                return BinaryCrossEntropyWithLogits(p, t, scale, gradient, scratch);
            case LossKind.BinaryCrossEntropy:
                return BinaryCrossEntropy(p, t, scale, gradient);
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>PyTorch's BCELoss on probabilities: l = (t - 1)·max(log1p(-p), -100) - t·max(log p, -100) (finite at p = 0
    /// and 1), dl/dp = (p - t) / max(p(1 - p), 1e-12).</summary>
    private static double BinaryCrossEntropy<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, T scale, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T floor = T.CreateTruncating(-100), epsilon = T.CreateTruncating(1e-12);
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            T logP = T.Max(T.Log(p[i]), floor), log1mP = T.Max(AccurateMath.LogP1(-p[i]), floor);
            sum += double.CreateTruncating((t[i] - T.One) * log1mP - t[i] * logP);
            if (!gradient.IsEmpty) gradient[i] = scale * ((p[i] - t[i]) / T.Max((T.One - p[i]) * p[i], epsilon));
        }
        return sum;
    }

    /// <summary>
    /// l = max(z,0) - z*t + log(1 + exp(-|z|)). With s = sigmoid(z), log(1 + exp(-|z|)) = -log(sigmoid(|z|))
    /// = -log(max(s, 1-s)): stable for any z, and s - t is the gradient, so one sigmoid serves both.
    /// </summary>
    private static double BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, T scale, Span<T> gradient, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sigmoid(z, scratch);
        var linear = Vector<T>.Zero;
        var scaleVector = new Vector<T>(scale);
        int i = 0, width = Vector<T>.Count;
        for (; i <= z.Length - width; i += width)
        {
            var zv = new Vector<T>(z[i..]);
            var tv = new Vector<T>(t[i..]);
            var sv = new Vector<T>(scratch[i..]);
            if (!gradient.IsEmpty) ((sv - tv) * scaleVector).CopyTo(gradient[i..]);
            linear += Vector.Max(zv, Vector<T>.Zero) - zv * tv;
            Vector.Max(sv, Vector<T>.One - sv).CopyTo(scratch[i..]);
        }
        double sum = double.CreateTruncating(Vector.Sum(linear));
        for (; i < z.Length; i++)
        {
            T s = scratch[i];
            if (!gradient.IsEmpty) gradient[i] = (s - t[i]) * scale;
            sum += double.CreateTruncating(T.Max(z[i], T.Zero) - z[i] * t[i]);
            scratch[i] = T.Max(s, T.One - s);
        }
        TensorPrimitives.Log(scratch, scratch);
        return sum - double.CreateTruncating(TensorPrimitives.Sum<T>(scratch));
    }
}

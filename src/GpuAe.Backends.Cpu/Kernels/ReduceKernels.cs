using System.Numerics;
using System.Numerics.Tensors;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Sums with a fixed order: bias gradients, row sums, whole-buffer sums.</summary>
internal static class ReduceKernels
{
    /// <summary>Per-column sums (over rows) or per-row sums (over columns) of dy [rows, cols].</summary>
    public static void BiasGradient<T>(BiasMode mode, int rows, int cols, HostView<T> dy, HostView<T> dbias, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (mode == BiasMode.PerColumn)
        {
            // Row after row keeps the summation order fixed and the inner loop vectorized.
            var sums = dbias.Span;
            if (!accumulate) sums.Clear();
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, dy.Part(r * cols, cols), sums);
        }
        else if (mode == BiasMode.PerRow)
        {
            CpuParallel.For(rows, Math.Max(1, 8192 / Math.Max(1, cols)), (start, end) =>
            {
                for (int r = start; r < end; r++)
                {
                    T s = TensorPrimitives.Sum<T>(dy.Part(r * cols, cols));
                    dbias[r] = accumulate ? dbias[r] + s : s;
                }
            });
        }
        else throw new ArgumentException("bias gradient needs PerColumn or PerRow");
    }

    /// <summary>result[0] = Σ x, summed in fixed blocks and the block sums added in order.</summary>
    public static void Sum<T>(HostView<T> x, HostView<T> result, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        const int block = 4096;
        for (int start = 0; start < x.Length; start += block)
            total += double.CreateTruncating(TensorPrimitives.Sum<T>(x.Part(start, Math.Min(block, x.Length - start))));
        T s = T.CreateTruncating(total);
        result[0] = accumulate ? result[0] + s : s;
    }
}

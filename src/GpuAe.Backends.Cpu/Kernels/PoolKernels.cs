using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Max pooling (with argmax) and average pooling; backward passes gather, never scatter.</summary>
internal static class PoolKernels
{
    public static void MaxForward<T>(PoolGeometry g, int planes, HostView<T> x, HostView<T> y, HostView<int> argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width;
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int best = -1;
                T bestValue = T.Zero;
                for (int wy = 0; wy < g.WindowH; wy++)
                {
                    int iy = oy * g.StrideH - g.PadTop + wy;
                    if ((uint)iy >= (uint)g.Height) continue;
                    for (int wx = 0; wx < g.WindowW; wx++)
                    {
                        int ix = ox * g.StrideW - g.PadLeft + wx;
                        if ((uint)ix >= (uint)g.Width) continue;
                        T v = x[p * plane + iy * g.Width + ix];
                        // Strict '>' keeps the first maximum, the tie rule every backend shares.
                        if (best < 0 || v > bestValue) { best = iy * g.Width + ix; bestValue = v; }
                    }
                }
                int o = (p * oh + oy) * ow + ox;
                y[o] = bestValue;
                argmax[o] = best;
            }
        });
    }

    /// <summary>One thread per plane routes each output's gradient to its argmax, in output order: a fixed
    /// summation order (deterministic) in O(outputs), where a per-input gather would scan every window.</summary>
    public static void MaxBackward<T>(PoolGeometry g, int planes, HostView<T> dy, HostView<int> argmax, HostView<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outPlane = g.OutHeight * g.OutWidth, plane = g.Height * g.Width;
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var target = dx.Part(p * plane, plane);
                target.Clear();
                for (int o = p * outPlane; o < (p + 1) * outPlane; o++)
                    if (argmax[o] >= 0) target[argmax[o]] += dy[o];
            }
        });
    }

    /// <summary>Mean of each window's input positions; the divisor is <see cref="PoolGeometry.AverageDivisor"/>
    /// (padding adds zero to the sum either way). Overwrites.</summary>
    public static void AvgForward<T>(PoolGeometry g, int planes, HostView<T> x, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width;
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                T sum = T.Zero;
                for (int wy = 0; wy < g.WindowH; wy++)
                {
                    int iy = oy * g.StrideH - g.PadTop + wy;
                    if ((uint)iy >= (uint)g.Height) continue;
                    for (int wx = 0; wx < g.WindowW; wx++)
                    {
                        int ix = ox * g.StrideW - g.PadLeft + wx;
                        if ((uint)ix < (uint)g.Width) sum += x[p * plane + iy * g.Width + ix];
                    }
                }
                int divisor = g.AverageDivisor(oy, ox);
                y[(p * oh + oy) * ow + ox] = divisor > 0 ? sum / T.CreateTruncating(divisor) : T.Zero;
            }
        });
    }

    /// <summary>Adjoint of <see cref="AvgForward{T}"/>: each input gathers dy / divisor of the windows covering it. Overwrites.</summary>
    public static void AvgBackward<T>(PoolGeometry g, int planes, HostView<T> dy, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int iy = 0; iy < g.Height; iy++)
            for (int ix = 0; ix < g.Width; ix++)
            {
                var (oy0, oy1) = Covering(iy + g.PadTop, g.WindowH, g.StrideH, oh);
                var (ox0, ox1) = Covering(ix + g.PadLeft, g.WindowW, g.StrideW, ow);
                T sum = T.Zero;
                for (int oy = oy0; oy <= oy1; oy++)
                for (int ox = ox0; ox <= ox1; ox++)
                    sum += dy[(p * oh + oy) * ow + ox] / T.CreateTruncating(g.AverageDivisor(oy, ox));
                dx[(p * g.Height + iy) * g.Width + ix] = sum;
            }
        });
    }

    /// <summary>The output positions o in [0, count) whose window [o*stride, o*stride + window) covers the
    /// padded coordinate <paramref name="padded"/>; empty when first &gt; last.</summary>
    internal static (int First, int Last) Covering(int padded, int window, int stride, int count)
    {
        int first = padded - window + 1 <= 0 ? 0 : (padded - window + stride) / stride;
        int last = Math.Min(padded / stride, count - 1);
        return (first, last);
    }
}

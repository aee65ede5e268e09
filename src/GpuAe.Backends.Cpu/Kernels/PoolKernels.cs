using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Max pooling (with argmax) and average pooling; backward passes gather, never scatter.</summary>
internal static class PoolKernels
{
    public static void MaxForward<T>(PoolGeometry g, int planes, HostView<T> x, HostView<T> y, HostView<int> argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        // Pairs of adjacent windows side by side (2-wide, stride 2, no left padding: Keras' MaxPooling2D) take the vector path.
        int vectorOutputs = typeof(T) == typeof(float) && Sse.IsSupported && g is { WindowW: 2, StrideW: 2, PadLeft: 0 }
            ? Math.Min(ow, g.Width / 2) / Vector128<float>.Count * Vector128<float>.Count : 0;
        CpuParallel.For(planes, Math.Max(1, 4096 / Math.Max(1, plane)), (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                ReadOnlySpan<T> input = x.Part(p * plane, plane);
                Span<T> output = y.Part(p * outPlane, outPlane);
                Span<int> index = argmax.Part(p * outPlane, outPlane);
                for (int oy = 0; oy < oh; oy++)
                {
                    int first = 0;
                    if (vectorOutputs > 0)
                    {
                        first = vectorOutputs;
                        MaxRowPairs(g, oy, MemoryMarshal.Cast<T, float>(input), MemoryMarshal.Cast<T, float>(output.Slice(oy * ow, vectorOutputs)),
                            index.Slice(oy * ow, vectorOutputs));
                    }
                    for (int ox = first; ox < ow; ox++)
                    {
                        var (value, at) = MaxWindow(g, input, oy, ox);
                        output[oy * ow + ox] = value;
                        index[oy * ow + ox] = at;
                    }
                }
            }
        });
    }

    /// <summary>The first maximum of window (oy, ox) over the positions inside the input and its plane index (-1 when the
    /// window holds none). Strict '&gt;' keeps the first maximum, the tie rule every backend shares.</summary>
    private static (T Value, int Index) MaxWindow<T>(in PoolGeometry g, ReadOnlySpan<T> plane, int oy, int ox)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = -1;
        T bestValue = T.Zero;
        int y0 = oy * g.StrideH - g.PadTop, x0 = ox * g.StrideW - g.PadLeft;
        int yFirst = Math.Max(y0, 0), yEnd = Math.Min(y0 + g.WindowH, g.Height);
        int xFirst = Math.Max(x0, 0), xEnd = Math.Min(x0 + g.WindowW, g.Width);
        for (int iy = yFirst; iy < yEnd; iy++)
        for (int ix = xFirst; ix < xEnd; ix++)
        {
            T v = plane[iy * g.Width + ix];
            if (best < 0 || v > bestValue) { best = iy * g.Width + ix; bestValue = v; }
        }
        return (bestValue, best);
    }

    /// <summary><see cref="MaxWindow{T}"/> for outputs [0, output.Length) of row oy of a 2-wide, stride-2 pool (every
    /// column of these windows inside the input), four windows per step: the same comparisons in the same order, as
    /// selects instead of branches (random data mispredicts half of them).</summary>
    private static void MaxRowPairs(in PoolGeometry g, int oy, ReadOnlySpan<float> plane, Span<float> output, Span<int> index)
    {
        int width = g.Width, y0 = oy * g.StrideH - g.PadTop;
        int yFirst = Math.Max(y0, 0), yEnd = Math.Min(y0 + g.WindowH, g.Height);
        if (yFirst >= yEnd) { output.Clear(); index.Fill(-1); return; }
        var lanes = Vector128.Create(0, 2, 4, 6);
        for (int ox = 0; ox < output.Length; ox += Vector128<float>.Count)
        {
            Vector128<float> best = default;
            Vector128<int> at = default;
            for (int iy = yFirst; iy < yEnd; iy++)
            {
                var row = plane.Slice(iy * width + 2 * ox, 2 * Vector128<float>.Count);
                Vector128<float> a = Vector128.Create(row), b = Vector128.Create(row[Vector128<float>.Count..]);
                Vector128<float> left = Sse.Shuffle(a, b, 0b10_00_10_00), right = Sse.Shuffle(a, b, 0b11_01_11_01);
                var leftAt = Vector128.Create(iy * width + 2 * ox) + lanes;
                if (iy == yFirst) (best, at) = (left, leftAt);
                else (best, at) = TakeGreater(left, leftAt, best, at);
                (best, at) = TakeGreater(right, leftAt + Vector128<int>.One, best, at);
            }
            best.CopyTo(output[ox..]);
            at.CopyTo(index[ox..]);
        }
    }

    private static (Vector128<float>, Vector128<int>) TakeGreater(Vector128<float> value, Vector128<int> at, Vector128<float> best, Vector128<int> bestAt)
    {
        var greater = Vector128.GreaterThan(value, best);
        return (Vector128.ConditionalSelect(greater, value, best), Vector128.ConditionalSelect(greater.AsInt32(), at, bestAt));
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
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        CpuParallel.For(planes, Math.Max(1, 4096 / Math.Max(1, plane)), (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                ReadOnlySpan<T> input = x.Part(p * plane, plane);
                Span<T> output = y.Part(p * outPlane, outPlane);
                for (int oy = 0; oy < oh; oy++)
                {
                    int y0 = oy * g.StrideH - g.PadTop, yFirst = Math.Max(y0, 0), yEnd = Math.Min(y0 + g.WindowH, g.Height);
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int x0 = ox * g.StrideW - g.PadLeft, xFirst = Math.Max(x0, 0), xEnd = Math.Min(x0 + g.WindowW, g.Width);
                        T sum = T.Zero;
                        for (int iy = yFirst; iy < yEnd; iy++)
                        for (int ix = xFirst; ix < xEnd; ix++)
                            sum += input[iy * g.Width + ix];
                        int divisor = g.AverageDivisor(oy, ox);
                        output[oy * ow + ox] = divisor > 0 ? sum / T.CreateTruncating(divisor) : T.Zero;
                    }
                }
            }
        });
    }

    /// <summary>Adjoint of <see cref="AvgForward{T}"/>: each input gathers dy / divisor of the windows covering it. Overwrites.
    /// The covering ranges and divisors depend on the geometry only, so they are tabulated once per call.</summary>
    public static void AvgBackward<T>(PoolGeometry g, int planes, HostView<T> dy, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        int[] table = ArrayPool<int>.Shared.Rent(2 * g.Width + 2 * g.Height + outPlane);
        try
        {
            var tables = new HostView<int>(table, 0, table.Length);
            for (int ix = 0; ix < g.Width; ix++)
                (table[2 * ix], table[2 * ix + 1]) = Covering(ix + g.PadLeft, g.WindowW, g.StrideW, ow);
            for (int iy = 0; iy < g.Height; iy++)
                (table[2 * g.Width + 2 * iy], table[2 * g.Width + 2 * iy + 1]) = Covering(iy + g.PadTop, g.WindowH, g.StrideH, oh);
            int divisors = 2 * g.Width + 2 * g.Height;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                table[divisors + oy * ow + ox] = g.AverageDivisor(oy, ox);
            CpuParallel.For(planes, Math.Max(1, 4096 / Math.Max(1, plane)), (start, end) =>
            {
                ReadOnlySpan<int> columns = tables.Part(0, 2 * g.Width), rows = tables.Part(2 * g.Width, 2 * g.Height);
                ReadOnlySpan<int> divisor = tables.Part(divisors, outPlane);
                for (int p = start; p < end; p++)
                {
                    ReadOnlySpan<T> gradient = dy.Part(p * outPlane, outPlane);
                    Span<T> output = dx.Part(p * plane, plane);
                    for (int iy = 0; iy < g.Height; iy++)
                    for (int ix = 0; ix < g.Width; ix++)
                    {
                        T sum = T.Zero;
                        for (int oy = rows[2 * iy]; oy <= rows[2 * iy + 1]; oy++)
                        for (int ox = columns[2 * ix]; ox <= columns[2 * ix + 1]; ox++)
                            sum += gradient[oy * ow + ox] / T.CreateTruncating(divisor[oy * ow + ox]);
                        output[iy * g.Width + ix] = sum;
                    }
                }
            });
        }
        finally { ArrayPool<int>.Shared.Return(table); }
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

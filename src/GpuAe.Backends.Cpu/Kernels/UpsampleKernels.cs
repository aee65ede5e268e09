using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Nearest-neighbour upsampling by integer factors and bilinear resampling (PyTorch semantics); the backward
/// passes gather.</summary>
internal static class UpsampleKernels
{
    /// <summary>Each output row is built once and copied to the scaleH - 1 rows below it. Overwrites.</summary>
    public static void NearestForward<T>(int planes, int height, int width, int scaleH, int scaleW, HostView<T> x, HostView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outW = width * scaleW, inPlane = height * width, outPlane = height * scaleH * outW;
        CpuParallel.For(planes, Math.Max(1, 8192 / Math.Max(1, outPlane)), (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                ReadOnlySpan<T> input = x.Part(p * inPlane, inPlane);
                Span<T> output = y.Part(p * outPlane, outPlane);
                for (int iy = 0; iy < height; iy++)
                {
                    ReadOnlySpan<T> src = input.Slice(iy * width, width);
                    Span<T> dst = output.Slice(iy * scaleH * outW, outW);
                    int ix = 0;
                    if (typeof(T) == typeof(float) && scaleW == 2 && Sse.IsSupported)
                        ix = DoubleFloats(MemoryMarshal.Cast<T, float>(src), MemoryMarshal.Cast<T, float>(dst));
                    for (; ix < width; ix++) dst.Slice(ix * scaleW, scaleW).Fill(src[ix]);
                    for (int a = 1; a < scaleH; a++) dst.CopyTo(output.Slice((iy * scaleH + a) * outW, outW));
                }
            }
        });
    }

    /// <summary>dst[2i] = dst[2i + 1] = src[i], four inputs per step; returns how many inputs it did.</summary>
    private static int DoubleFloats(ReadOnlySpan<float> src, Span<float> dst)
    {
        int i = 0;
        for (; i <= src.Length - Vector128<float>.Count; i += Vector128<float>.Count)
        {
            var v = Vector128.Create(src[i..]);
            Sse.UnpackLow(v, v).CopyTo(dst[(2 * i)..]);
            Sse.UnpackHigh(v, v).CopyTo(dst[(2 * i + Vector128<float>.Count)..]);
        }
        return i;
    }

    /// <summary>dx = the sum of each input's scaleH x scaleW block of dy, added row by row from zero (the GPU kernels'
    /// order). Overwrites.</summary>
    public static void NearestBackward<T>(int planes, int height, int width, int scaleH, int scaleW, HostView<T> dy, HostView<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outW = width * scaleW, inPlane = height * width, outPlane = height * scaleH * outW;
        CpuParallel.For(planes, Math.Max(1, 8192 / Math.Max(1, outPlane)), (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                ReadOnlySpan<T> gradient = dy.Part(p * outPlane, outPlane);
                Span<T> output = dx.Part(p * inPlane, inPlane);
                for (int iy = 0; iy < height; iy++)
                {
                    ReadOnlySpan<T> block = gradient.Slice(iy * scaleH * outW, scaleH * outW);
                    Span<T> dst = output.Slice(iy * width, width);
                    int ix = 0;
                    if (typeof(T) == typeof(float) && scaleH == 2 && scaleW == 2 && Sse.IsSupported)
                        ix = SumPairs(MemoryMarshal.Cast<T, float>(block), outW, MemoryMarshal.Cast<T, float>(dst));
                    for (; ix < width; ix++)
                    {
                        T sum = T.Zero;
                        for (int a = 0; a < scaleH; a++)
                        for (int b = 0; b < scaleW; b++)
                            sum += block[a * outW + ix * scaleW + b];
                        dst[ix] = sum;
                    }
                }
            }
        });
    }

    /// <summary>dst[i] = ((0 + top[2i]) + top[2i + 1]) + bottom[2i]) + bottom[2i + 1] for the two rows of
    /// <paramref name="block"/> (stride <paramref name="outW"/>), four outputs per step; returns how many it did.</summary>
    private static int SumPairs(ReadOnlySpan<float> block, int outW, Span<float> dst)
    {
        int i = 0;
        for (; i <= dst.Length - Vector128<float>.Count; i += Vector128<float>.Count)
        {
            var sum = Vector128<float>.Zero;
            for (int row = 0; row < 2; row++)
            {
                var pairs = block.Slice(row * outW + 2 * i, 2 * Vector128<float>.Count);
                Vector128<float> a = Vector128.Create(pairs), b = Vector128.Create(pairs[Vector128<float>.Count..]);
                sum += Sse.Shuffle(a, b, 0b10_00_10_00);
                sum += Sse.Shuffle(a, b, 0b11_01_11_01);
            }
            sum.CopyTo(dst[i..]);
        }
        return i;
    }

    /// <summary>The two input taps of output <c>o</c> along an axis of <c>n</c> inputs and their weights, as in
    /// kernels/opencl/upsample.cl: src = o*ratio (align_corners) or max((o + 0.5)*ratio - 0.5, 0).</summary>
    private readonly record struct Taps<T>(int I0, int I1, T Weight0, T Weight1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Taps<T> Of(int o, int n, T ratio, bool alignCorners)
        {
            T src = alignCorners ? T.CreateTruncating(o) * ratio : T.Max((T.CreateTruncating(o) + Half) * ratio - Half, T.Zero);
            int i0 = int.CreateTruncating(src);
            T l1 = src - T.CreateTruncating(i0);
            return new Taps<T>(i0, i0 < n - 1 ? i0 + 1 : i0, T.One - l1, l1);
        }

        private static readonly T Half = T.CreateTruncating(0.5);

        /// <summary>The weight with which this output reads input i (both taps when they coincide).</summary>
        public T WeightOf(int i) => (I0 == i ? Weight0 : T.Zero) + (I1 == i ? Weight1 : T.Zero);
    }

    private static Taps<T>[] AxisTaps<T>(int inputs, int outputs, bool alignCorners) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The ratio in float as every GPU backend passes it; the float64 backend forms it in double.
        T ratio = typeof(T) == typeof(float)
            ? T.CreateTruncating(Bilinear.Ratio(inputs, outputs, alignCorners))
            : alignCorners ? (outputs > 1 ? T.CreateTruncating(inputs - 1) / T.CreateTruncating(outputs - 1) : T.Zero)
                           : T.CreateTruncating(inputs) / T.CreateTruncating(outputs);
        var taps = new Taps<T>[outputs];
        for (int o = 0; o < outputs; o++) taps[o] = Taps<T>.Of(o, inputs, ratio, alignCorners);
        return taps;
    }

    public static void BilinearForward<T>(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, HostView<T> x, HostView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = AxisTaps<T>(height, outHeight, alignCorners);
        var cols = AxisTaps<T>(width, outWidth, alignCorners);
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int oy = 0; oy < outHeight; oy++)
            {
                var r = rows[oy];
                var top = x.Part((p * height + r.I0) * width, width);
                var bottom = x.Part((p * height + r.I1) * width, width);
                var dst = y.Part((p * outHeight + oy) * outWidth, outWidth);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    var c = cols[ox];
                    T upper = c.Weight0 * top[c.I0] + c.Weight1 * top[c.I1];
                    T lower = c.Weight0 * bottom[c.I0] + c.Weight1 * bottom[c.I1];
                    dst[ox] = r.Weight0 * upper + r.Weight1 * lower;
                }
            }
        });
    }

    /// <summary>Adjoint of <see cref="BilinearForward{T}"/>, a gather in the GPU kernels' order: per input, the outputs
    /// that can read it row by row (<see cref="Reach"/>), weight_y * (sum of weight_x * dy), skipping zero weights. Overwrites.</summary>
    public static void BilinearBackward<T>(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, HostView<T> dy, HostView<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = Readers<T>.Of(height, outHeight, alignCorners);
        var cols = Readers<T>.Of(width, outWidth, alignCorners);
        CpuParallel.For(planes, Math.Max(1, 1024 / Math.Max(1, height * width)), (start, end) =>
        {
            ReadOnlySpan<int> rowFirst = rows.First, rowOutput = rows.Output, colFirst = cols.First, colOutput = cols.Output;
            ReadOnlySpan<T> rowWeight = rows.Weight, colWeight = cols.Weight;
            for (int p = start; p < end; p++)
            {
                ReadOnlySpan<T> gradient = dy.Part(p * outHeight * outWidth, outHeight * outWidth);
                Span<T> output = dx.Part(p * height * width, height * width);
                for (int iy = 0; iy < height; iy++)
                for (int ix = 0; ix < width; ix++)
                {
                    T sum = T.Zero;
                    for (int r = rowFirst[iy]; r < rowFirst[iy + 1]; r++)
                    {
                        var src = gradient.Slice(rowOutput[r] * outWidth, outWidth);
                        T row = T.Zero;
                        for (int c = colFirst[ix]; c < colFirst[ix + 1]; c++) row += colWeight[c] * src[colOutput[c]];
                        sum += rowWeight[r] * row;
                    }
                    output[iy * width + ix] = sum;
                }
            }
        });
    }

    /// <summary>Per input i along an axis, the outputs that read it with a non-zero weight, in output order:
    /// entries [First[i], First[i + 1]) of Output and Weight. Depends on the sizes only, so it is tabulated once per call
    /// instead of testing every reachable output's taps per input element.</summary>
    private sealed record Readers<T>(int[] First, int[] Output, T[] Weight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Readers<T> Of(int inputs, int outputs, bool alignCorners)
        {
            var taps = AxisTaps<T>(inputs, outputs, alignCorners);
            var first = new int[inputs + 1];
            var output = new List<int>(2 * outputs);
            var weight = new List<T>(2 * outputs);
            for (int i = 0; i < inputs; i++)
            {
                first[i] = output.Count;
                var (o0, o1) = Reach(i, inputs, outputs, alignCorners);
                for (int o = o0; o <= o1; o++)
                {
                    T w = taps[o].WeightOf(i);
                    if (w == T.Zero) continue;
                    output.Add(o);
                    weight.Add(w);
                }
            }
            first[inputs] = output.Count;
            return new Readers<T>(first, output.ToArray(), weight.ToArray());
        }
    }

    /// <summary>First and last output whose taps can reach input i (source coordinate in [i - 1, i + 1), widened by
    /// one for rounding), as bilinear_first_output / bilinear_last_output in kernels/opencl/upsample.cl.</summary>
    internal static (int First, int Last) Reach(int i, int inputs, int outputs, bool alignCorners)
    {
        int first = i <= 1 || inputs == 1 ? 0
            : (alignCorners ? (i - 1) * (outputs - 1) / (inputs - 1) : (i - 1) * outputs / inputs) - 1;
        int last = inputs == 1 ? outputs - 1
            : (alignCorners ? (i + 1) * (outputs - 1) / (inputs - 1) : (i + 2) * outputs / inputs) + 1;
        return (Math.Max(first, 0), Math.Min(last, outputs - 1));
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>im2col / col2im for a batch at once (columns [C*KH*KW, N*OH*OW]) and the CNHW/NCHW swap.</summary>
internal static class ConvKernels
{
    public static void Im2Col<T>(ConvGeometry g, int batch, HostView<T> x, HostView<T> columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        long columnCount = (long)batch * outPlane;
        CpuParallel.For(g.PatchSize * batch, 1, (start, end) =>
        {
            for (int job = start; job < end; job++)
            {
                int row = job / batch, n = job % batch;
                int c = row / (g.KernelH * g.KernelW), ky = row / g.KernelW % g.KernelH, kx = row % g.KernelW;
                var dst = columns.Part((int)(row * columnCount + (long)n * outPlane), outPlane);
                var src = x.Part((n * g.Channels + c) * plane, plane);
                int shift = kx * g.DilationW - g.PadLeft;
                for (int oy = 0; oy < oh; oy++)
                {
                    int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                    var dstRow = dst.Slice(oy * ow, ow);
                    if ((uint)iy >= (uint)g.Height) { dstRow.Clear(); continue; }
                    var srcRow = src.Slice(iy * g.Width, g.Width);
                    if (g.StrideW == 1)
                    {
                        // Unit stride: the row is a shifted copy of an input row, zero where it hangs over the edge.
                        var (lo, hi) = Inside(shift, g.Width, ow);
                        dstRow[..lo].Clear();
                        srcRow.Slice(lo + shift, hi - lo).CopyTo(dstRow[lo..hi]);
                        dstRow[hi..].Clear();
                    }
                    else
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int ix = ox * g.StrideW + shift;
                            dstRow[ox] = (uint)ix < (uint)g.Width ? srcRow[ix] : T.Zero;
                        }
                }
            }
        });
    }

    /// <summary>
    /// Adjoint of im2col. One thread owns each (image, channel) plane and adds the column rows into it in a
    /// fixed (ky, kx, oy, ox) order: every input pixel receives its contributions in the same order on every
    /// run, with no atomics and no two threads writing one element.
    /// </summary>
    public static void Col2Im<T>(ConvGeometry g, int batch, HostView<T> columns, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        long columnCount = (long)batch * outPlane;
        CpuParallel.For(batch * g.Channels, 1, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                int n = p / g.Channels, c = p % g.Channels;
                var dst = dx.Part(p * plane, plane);
                dst.Clear();
                for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    int row = (c * g.KernelH + ky) * g.KernelW + kx, shift = kx * g.DilationW - g.PadLeft;
                    var src = columns.Part((int)(row * columnCount + (long)n * outPlane), outPlane);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.Height) continue;
                        var dstRow = dst.Slice(iy * g.Width, g.Width);
                        var srcRow = src.Slice(oy * ow, ow);
                        if (g.StrideW == 1)
                        {
                            var (lo, hi) = Inside(shift, g.Width, ow);
                            var target = dstRow.Slice(lo + shift, hi - lo);
                            TensorPrimitives.Add(target, srcRow[lo..hi], target);
                        }
                        else
                            for (int ox = 0; ox < ow; ox++)
                            {
                                int ix = ox * g.StrideW + shift;
                                if ((uint)ix < (uint)g.Width) dstRow[ix] += srcRow[ox];
                            }
                    }
                }
            }
        });
    }

    /// <summary>The outputs [lo, hi) of a unit-stride row whose input column ox + shift lies inside [0, width).</summary>
    private static (int Lo, int Hi) Inside(int shift, int width, int outputs)
    {
        int lo = Math.Clamp(-shift, 0, outputs);
        return (lo, Math.Clamp(width - shift, lo, outputs));
    }

    /// <summary>[a, b, inner] -> [b, a, inner].</summary>
    public static void SwapLeadingAxes<T>(int a, int b, int inner, HostView<T> source, HostView<T> destination) where T : unmanaged
    {
        CpuParallel.For(a, 1, (start, end) =>
        {
            for (int i = start; i < end; i++)
                for (int j = 0; j < b; j++)
                    source.Part((i * b + j) * inner, inner).CopyTo(destination.Part((j * a + i) * inner, inner));
        });
    }
}

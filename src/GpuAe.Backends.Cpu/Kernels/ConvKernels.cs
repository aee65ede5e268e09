using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>im2col / col2im for a batch at once (columns [C*KH*KW, N*OH*OW]) and the CNHW/NCHW swap.</summary>
internal static class ConvKernels
{
    public static void Im2Col<T>(ConvGeometry g, int batch, HostView<T> x, HostView<T> columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        long columnCount = (long)batch * outPlane;
        CpuParallel.For(g.PatchSize, 1, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                int c = row / (g.KernelH * g.KernelW), ky = row / g.KernelW % g.KernelH, kx = row % g.KernelW;
                for (int n = 0; n < batch; n++)
                {
                    var dst = columns.Part((int)(row * columnCount + (long)n * outPlane), outPlane);
                    int src = (n * g.Channels + c) * plane;
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        bool rowInside = (uint)iy < (uint)g.Height;
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                            dst[oy * ow + ox] = rowInside && (uint)ix < (uint)g.Width ? x[src + iy * g.Width + ix] : T.Zero;
                        }
                    }
                }
            }
        });
    }

    /// <summary>Each input pixel gathers the column entries that read it: no two threads write one element.</summary>
    public static void Col2Im<T>(ConvGeometry g, int batch, HostView<T> columns, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.Height * g.Width, outPlane = oh * ow;
        long columnCount = (long)batch * outPlane;
        CpuParallel.For(batch * g.Channels, 1, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                int n = p / g.Channels, c = p % g.Channels;
                for (int iy = 0; iy < g.Height; iy++)
                for (int ix = 0; ix < g.Width; ix++)
                {
                    T sum = T.Zero;
                    for (int ky = 0; ky < g.KernelH; ky++)
                    {
                        int ty = iy + g.PadTop - ky * g.DilationH;
                        if (ty < 0 || ty % g.StrideH != 0) continue;
                        int oy = ty / g.StrideH;
                        if (oy >= oh) continue;
                        for (int kx = 0; kx < g.KernelW; kx++)
                        {
                            int tx = ix + g.PadLeft - kx * g.DilationW;
                            if (tx < 0 || tx % g.StrideW != 0) continue;
                            int ox = tx / g.StrideW;
                            if (ox >= ow) continue;
                            int row = (c * g.KernelH + ky) * g.KernelW + kx;
                            sum += columns[(int)(row * columnCount + (long)n * outPlane + oy * ow + ox)];
                        }
                    }
                    dx[p * plane + iy * g.Width + ix] = sum;
                }
            }
        });
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

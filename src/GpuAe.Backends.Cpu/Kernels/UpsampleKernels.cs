using System.Numerics;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>Nearest-neighbour upsampling by integer factors; the backward pass gathers each block.</summary>
internal static class UpsampleKernels
{
    public static void NearestForward<T>(int planes, int height, int width, int scaleH, int scaleW, HostView<T> x, HostView<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outW = width * scaleW, outPlane = height * scaleH * outW;
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int oy = 0; oy < height * scaleH; oy++)
            {
                var src = x.Part((p * height + oy / scaleH) * width, width);
                var dst = y.Part(p * outPlane + oy * outW, outW);
                for (int ox = 0; ox < outW; ox++) dst[ox] = src[ox / scaleW];
            }
        });
    }

    public static void NearestBackward<T>(int planes, int height, int width, int scaleH, int scaleW, HostView<T> dy, HostView<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outW = width * scaleW, outPlane = height * scaleH * outW;
        CpuParallel.For(planes, 4, (start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int iy = 0; iy < height; iy++)
            for (int ix = 0; ix < width; ix++)
            {
                T sum = T.Zero;
                for (int a = 0; a < scaleH; a++)
                for (int b = 0; b < scaleW; b++)
                    sum += dy[p * outPlane + (iy * scaleH + a) * outW + ix * scaleW + b];
                dx[(p * height + iy) * width + ix] = sum;
            }
        });
    }
}

using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// The direct convolution for strides other than 1: plain loops over the index formulas, correct for every geometry
/// (the CPU prefers im2col + GEMM for these shapes, see <see cref="DirectConvPolicy"/>). Each output element is summed
/// by one thread in a fixed order.
/// </summary>
internal static class DirectConvStrided
{
    public static void Forward<T>(ConvGeometry g, int batch, int filters, HostView<T> x, HostView<T> w, HostView<T> bias,
        Activation activation, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outPlane = g.OutHeight * g.OutWidth, plane = g.Height * g.Width;
        CpuParallel.For(batch * filters, 1, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                int n = p / filters, f = p % filters;
                var output = y.Part(p * outPlane, outPlane);
                var image = x.Part(n * g.Channels * plane, g.Channels * plane);
                var kernel = w.Part(f * g.PatchSize, g.PatchSize);
                for (int oy = 0; oy < g.OutHeight; oy++)
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        T sum = bias[f];
                        for (int c = 0; c < g.Channels; c++)
                            for (int ky = 0; ky < g.KernelH; ky++)
                            {
                                int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                                if ((uint)iy >= (uint)g.Height) continue;
                                for (int kx = 0; kx < g.KernelW; kx++)
                                {
                                    int ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                                    if ((uint)ix < (uint)g.Width)
                                        sum += kernel[(c * g.KernelH + ky) * g.KernelW + kx] * image[(c * g.Height + iy) * g.Width + ix];
                                }
                            }
                        output[oy * g.OutWidth + ox] = sum;
                    }
                ActivationKernels.ForwardSpan(activation, ActivationParameters.Default, output, output);
            }
        });
    }

    /// <summary>dx[n, c, iy, ix] gathers w[f, c, ky, kx] · dz[n, f, oy, ox] over the taps whose output (oy, ox) reads it.</summary>
    public static void BackwardData<T>(ConvGeometry g, int batch, int filters, Activation activation, HostView<T> y, HostView<T> dy,
        HostView<T> w, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outPlane = g.OutHeight * g.OutWidth, imageOutputs = filters * outPlane, imageInputs = g.Channels * g.Height * g.Width;
        CpuParallel.For(batch, 1, (start, end) =>
        {
            var scratch = ArrayPool<T>.Shared.Rent(imageOutputs);
            try
            {
                for (int n = start; n < end; n++)
                {
                    var dz = DirectConvKernels.OutputGradient(activation, y, dy, n * imageOutputs, imageOutputs, scratch);
                    var gradient = dx.Part(n * imageInputs, imageInputs);
                    for (int c = 0; c < g.Channels; c++)
                        for (int iy = 0; iy < g.Height; iy++)
                            for (int ix = 0; ix < g.Width; ix++)
                            {
                                T sum = T.Zero;
                                for (int f = 0; f < filters; f++)
                                    for (int ky = 0; ky < g.KernelH; ky++)
                                    {
                                        int oy = OutputIndex(iy + g.PadTop - ky * g.DilationH, g.StrideH, g.OutHeight);
                                        if (oy < 0) continue;
                                        for (int kx = 0; kx < g.KernelW; kx++)
                                        {
                                            int ox = OutputIndex(ix + g.PadLeft - kx * g.DilationW, g.StrideW, g.OutWidth);
                                            if (ox >= 0)
                                                sum += w[((f * g.Channels + c) * g.KernelH + ky) * g.KernelW + kx] * dz[f * outPlane + oy * g.OutWidth + ox];
                                        }
                                    }
                                gradient[(c * g.Height + iy) * g.Width + ix] = sum;
                            }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        });
    }

    /// <summary>Adds images [first, end) to weightSums [filters, PatchSize] (dw's layout) and biasSums [filters].</summary>
    public static void AccumulateFilterGradient<T>(ConvGeometry g, int first, int end, int filters, Activation activation,
        HostView<T> x, HostView<T> y, HostView<T> dy, Span<T> weightSums, Span<T> biasSums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outPlane = g.OutHeight * g.OutWidth, imageOutputs = filters * outPlane, imageInputs = g.Channels * g.Height * g.Width;
        var scratch = ArrayPool<T>.Shared.Rent(imageOutputs);
        try
        {
            for (int n = first; n < end; n++)
            {
                var dz = DirectConvKernels.OutputGradient(activation, y, dy, n * imageOutputs, imageOutputs, scratch);
                var image = x.Part(n * imageInputs, imageInputs);
                for (int f = 0; f < filters; f++)
                {
                    var plane = dz.Slice(f * outPlane, outPlane);
                    biasSums[f] += TensorPrimitives.Sum(plane);
                    for (int c = 0; c < g.Channels; c++)
                        for (int ky = 0; ky < g.KernelH; ky++)
                            for (int kx = 0; kx < g.KernelW; kx++)
                            {
                                T sum = T.Zero;
                                for (int oy = 0; oy < g.OutHeight; oy++)
                                {
                                    int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                                    if ((uint)iy >= (uint)g.Height) continue;
                                    for (int ox = 0; ox < g.OutWidth; ox++)
                                    {
                                        int ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                                        if ((uint)ix < (uint)g.Width) sum += plane[oy * g.OutWidth + ox] * image[(c * g.Height + iy) * g.Width + ix];
                                    }
                                }
                                weightSums[f * g.PatchSize + (c * g.KernelH + ky) * g.KernelW + kx] += sum;
                            }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>The output index o with o·stride = <paramref name="position"/>, or -1 when there is none inside [0, count).</summary>
    private static int OutputIndex(int position, int stride, int count)
    {
        if (position < 0 || position % stride != 0) return -1;
        int o = position / stride;
        return o < count ? o : -1;
    }
}

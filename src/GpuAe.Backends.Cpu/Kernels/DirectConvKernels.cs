using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// Direct convolution (no column matrix): forward with bias and activation in the epilogue, the data gradient as a
/// forward correlation of dz with the flipped, channel-transposed kernel, and the filter gradient as dot products of
/// dz with shifted inputs. Unit strides (any padding, dilation, kernel shape) take the register-blocked path of
/// <see cref="DirectConvLayout"/> and <see cref="DirectConvMicrokernels"/>; other strides the plain loops of
/// <see cref="DirectConvStrided"/>. Work is split by image; every output is computed by one thread in a fixed order,
/// and the filter gradient sums images in fixed groups whose partial sums are added in group order, so the bits do
/// not depend on the thread count. Scratch comes from the shared array pool (no allocation per call once warm).
/// </summary>
internal static class DirectConvKernels
{
    /// <summary>Images per partial sum of the filter gradient: fixed, so the summation order depends on the shapes alone.</summary>
    public const int GradientGroup = 4;

    private static bool IsUnitStride(ConvGeometry g) => g.StrideH == 1 && g.StrideW == 1;

    /// <summary>y = act(conv(x, w) + bias), NCHW; overwrites y.</summary>
    public static void Forward<T>(ConvGeometry g, int batch, int filters, HostView<T> x, HostView<T> w, HostView<T> bias,
        Activation activation, HostView<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsUnitStride(g)) { DirectConvStrided.Forward(g, batch, filters, x, w, bias, activation, y); return; }
        var layout = DirectConvLayout.Forward<T>(g);
        int outPlane = g.OutHeight * g.OutWidth;
        Correlate(layout, batch, filters, w, transposeAndFlip: false, bias, (n, _) => x.Part(n * g.Channels * g.Height * g.Width, g.Channels * g.Height * g.Width),
            activation == Activation.Linear ? null : (output, _) => ActivationKernels.ForwardSpan(activation, ActivationParameters.Default, output, output),
            y, filters * outPlane, 0);
    }

    /// <summary>dx = the adjoint of the convolution applied to dz = dy · f'(y); overwrites dx.</summary>
    public static void BackwardData<T>(ConvGeometry g, int batch, int filters, Activation activation, HostView<T> y, HostView<T> dy,
        HostView<T> w, HostView<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int imageOutputs = filters * g.OutHeight * g.OutWidth;
        if (!IsUnitStride(g)) { DirectConvStrided.BackwardData(g, batch, filters, activation, y, dy, w, dx); return; }
        var layout = DirectConvLayout.BackwardData<T>(g, filters);
        Correlate(layout, batch, g.Channels, w, transposeAndFlip: true, default,
            (n, scratch) => OutputGradient(activation, y, dy, n * imageOutputs, imageOutputs, scratch),
            null, dx, g.Channels * g.Height * g.Width, imageOutputs);
    }

    /// <summary>dw and db from dz = dy · f'(y), summed over images in <see cref="GradientGroup"/>s; overwrites both.</summary>
    public static void BackwardFilter<T>(ConvGeometry g, int batch, int filters, Activation activation, HostView<T> x, HostView<T> y,
        HostView<T> dy, HostView<T> dw, HostView<T> db) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsUnitStride(g))
            UnitStrideFilterGradient(g, batch, filters, activation, x, y, dy, dw, db);
        else
            SumOverImageGroups(batch, filters, g.PatchSize, g.PatchSize, dw, db, (first, end, weightSums, biasSums) =>
                DirectConvStrided.AccumulateFilterGradient(g, first, end, filters, activation, x, y, dy, weightSums, biasSums));
    }

    /// <summary>
    /// dz of one image's outputs (<paramref name="length"/> values from <paramref name="offset"/>): dy · f'(y) through
    /// <see cref="ActivationKernels.Backward{T}"/> (the code ActivationBackward runs) into <paramref name="scratch"/>, or dy
    /// itself for <see cref="Activation.Linear"/>.
    /// </summary>
    internal static ReadOnlySpan<T> OutputGradient<T>(Activation activation, HostView<T> y, HostView<T> dy, int offset, int length, T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (activation == Activation.Linear) return dy.Part(offset, length);
        ActivationKernels.Backward(activation, ActivationParameters.Default, new HostView<T>(y.Data, y.Offset + offset, length),
            new HostView<T>(dy.Data, dy.Offset + offset, length), new HostView<T>(scratch, 0, length));
        return scratch.AsSpan(0, length);
    }

    /// <summary>
    /// For each image n: output[n] = correlation of the padded <c>input(n, scratch)</c> with the packed kernel (+ bias),
    /// cropped to NCHW, then <paramref name="epilogue"/> on the image's outputs. Images are split over threads; each
    /// chunk rents its padded planes and output grids once and clears them once (their borders stay zero).
    /// </summary>
    private static void Correlate<T>(DirectConvLayout layout, int batch, int outputs, HostView<T> w, bool transposeAndFlip, HostView<T> bias,
        ImageSource<T> input, SpanAction<T, int>? epilogue, HostView<T> result, int imageResults, int inputScratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = layout.Taps, blocked = outputs / DirectConvMicrokernels.Outputs * DirectConvMicrokernels.Outputs;
        var offsets = ArrayPool<int>.Shared.Rent(taps);
        var packed = ArrayPool<T>.Shared.Rent(outputs * taps);
        var biases = ArrayPool<T>.Shared.Rent(outputs);
        try
        {
            layout.TapOffsets(offsets, 1);
            PackKernel(w.Span, outputs, layout.Channels, layout.KernelH * layout.KernelW, transposeAndFlip, packed);
            for (int o = 0; o < outputs; o++) biases[o] = bias.Data is null ? T.Zero : bias[o];
            int planes = layout.Channels * layout.PlaneStride, grids = DirectConvMicrokernels.Outputs * layout.GridStride;
            DirectConvMicrokernels.CheckReach(offsets.AsSpan(0, taps), layout.GridStride, planes);
            CpuParallel.For(batch, 1, (start, end) =>
            {
                var padded = ArrayPool<T>.Shared.Rent(planes);
                var grid = ArrayPool<T>.Shared.Rent(grids);
                var staged = ArrayPool<T>.Shared.Rent(Math.Max(1, inputScratch));
                try
                {
                    padded.AsSpan(0, planes).Clear();
                    ReadOnlySpan<int> tapOffsets = offsets.AsSpan(0, taps);
                    for (int n = start; n < end; n++)
                    {
                        layout.CopyIntoPadded(input(n, staged), padded.AsSpan(0, planes));
                        var image = result.Part(n * imageResults, imageResults);
                        int plane = layout.OutHeight * layout.OutWidth;
                        for (int o = 0; o < blocked; o += DirectConvMicrokernels.Outputs)
                        {
                            DirectConvMicrokernels.Correlate4<T>(padded, tapOffsets, packed.AsSpan(o * taps, DirectConvMicrokernels.Outputs * taps),
                                biases.AsSpan(o, DirectConvMicrokernels.Outputs), grid, layout.GridStride);
                            layout.CropGrid<T>(grid, DirectConvMicrokernels.Outputs, image.Slice(o * plane));
                        }
                        for (int o = blocked; o < outputs; o++)
                        {
                            DirectConvMicrokernels.Correlate1<T>(padded, tapOffsets, packed.AsSpan(o * taps, taps), biases[o], grid, layout.GridStride);
                            layout.CropGrid<T>(grid, 1, image.Slice(o * plane));
                        }
                        epilogue?.Invoke(image, n);
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(staged);
                    ArrayPool<T>.Shared.Return(grid);
                    ArrayPool<T>.Shared.Return(padded);
                }
            });
        }
        finally
        {
            ArrayPool<T>.Shared.Return(biases);
            ArrayPool<T>.Shared.Return(packed);
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <summary>
    /// Packs the kernel as [output block of four][tap][4] followed by the remaining outputs as [output][tap], taps
    /// (input channel, ky, kx). Forward: outputs are filters and the kernel is w [filters, C, KH, KW] as it is. Data
    /// gradient (<paramref name="transposeAndFlip"/>): outputs are the input channels and inputs the filters, tap
    /// (f, ky, kx) of channel c weighs w[f, c, KH − 1 − ky, KW − 1 − kx].
    /// </summary>
    private static void PackKernel<T>(ReadOnlySpan<T> w, int outputs, int inputs, int window, bool transposeAndFlip, Span<T> packed)
    {
        int taps = inputs * window, block = DirectConvMicrokernels.Outputs, blocked = outputs / block * block;
        for (int o = 0; o < outputs; o++)
            for (int t = 0; t < taps; t++)
            {
                int i = t / window, k = t % window;
                T value = transposeAndFlip ? w[(i * outputs + o) * window + window - 1 - k] : w[o * taps + t];
                packed[o < blocked ? (o / block * taps + t) * block + o % block : o * taps + t] = value;
            }
    }

    private static void UnitStrideFilterGradient<T>(ConvGeometry g, int batch, int filters, Activation activation, HostView<T> x, HostView<T> y,
        HostView<T> dy, HostView<T> dw, HostView<T> db) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layout = DirectConvLayout.Forward<T>(g);
        int taps = layout.Taps, paddedTaps = layout.PaddedTaps(DirectConvMicrokernels.TapMultiple);
        int imageInputs = g.Channels * g.Height * g.Width, imageOutputs = filters * g.OutHeight * g.OutWidth;
        int planes = g.Channels * layout.PlaneStride, grids = filters * layout.GridStride;
        int blocked = filters / DirectConvMicrokernels.Outputs * DirectConvMicrokernels.Outputs;
        var offsets = ArrayPool<int>.Shared.Rent(paddedTaps);
        try
        {
            layout.TapOffsets(offsets, DirectConvMicrokernels.TapMultiple);
            DirectConvMicrokernels.CheckReach(offsets.AsSpan(0, paddedTaps), layout.GridStride, planes);
            SumOverImageGroups(batch, filters, taps, paddedTaps, dw, db, (first, end, weightSums, biasSums) =>
            {
                // The group's images side by side, so each microkernel pass sums all of them before its horizontal sums.
                var padded = ArrayPool<T>.Shared.Rent(GradientGroup * planes);
                var dzGrids = ArrayPool<T>.Shared.Rent(GradientGroup * grids);
                var dz = ArrayPool<T>.Shared.Rent(imageOutputs);
                try
                {
                    padded.AsSpan(0, GradientGroup * planes).Clear();
                    dzGrids.AsSpan(0, GradientGroup * grids).Clear();
                    for (int n = first; n < end; n++)
                    {
                        var gradient = OutputGradient(activation, y, dy, n * imageOutputs, imageOutputs, dz);
                        layout.CopyIntoPadded<T>(x.Part(n * imageInputs, imageInputs), padded.AsSpan((n - first) * planes, planes));
                        layout.CopyOntoGrid(gradient, filters, dzGrids.AsSpan((n - first) * grids, grids));
                        for (int f = 0; f < filters; f++)
                            biasSums[f] += TensorPrimitives.Sum(gradient.Slice(f * g.OutHeight * g.OutWidth, g.OutHeight * g.OutWidth));
                    }
                    var pass = new GradientPass(end - first, layout.GridStride, grids, planes);
                    for (int f = 0; f < blocked; f += DirectConvMicrokernels.Outputs)
                        for (int t = 0; t < taps; t += DirectConvMicrokernels.GradientTaps)
                            DirectConvMicrokernels.Gradient4<T>(dzGrids.AsSpan(f * layout.GridStride), padded, offsets.AsSpan(t, DirectConvMicrokernels.GradientTaps),
                                pass, weightSums.Slice(f * paddedTaps + t), paddedTaps);
                    for (int f = blocked; f < filters; f++)
                        for (int t = 0; t < taps; t += DirectConvMicrokernels.SingleGradientTaps)
                            DirectConvMicrokernels.Gradient1<T>(dzGrids.AsSpan(f * layout.GridStride), padded, offsets.AsSpan(t, DirectConvMicrokernels.SingleGradientTaps),
                                pass, weightSums.Slice(f * paddedTaps + t));
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(dz);
                    ArrayPool<T>.Shared.Return(dzGrids);
                    ArrayPool<T>.Shared.Return(padded);
                }
            });
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <summary>One image's correlation input (C planes [Height, Width]), computed into <paramref name="scratch"/> if need be.</summary>
    private delegate ReadOnlySpan<T> ImageSource<T>(int image, T[] scratch);

    /// <summary>Accumulates images [first, end) into the group's weight sums [filters, stride] and bias sums [filters] (both start at zero).</summary>
    internal delegate void GroupAccumulator<T>(int first, int end, Span<T> weightSums, Span<T> biasSums);

    /// <summary>
    /// dw[f, t] = Σ_groups weightSums[group][f, t], db likewise, the groups of <see cref="GradientGroup"/> images
    /// accumulated in parallel and their sums added in group order: a fixed order for given shapes.
    /// </summary>
    private static void SumOverImageGroups<T>(int batch, int filters, int taps, int stride, HostView<T> dw, HostView<T> db,
        GroupAccumulator<T> accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int groups = (batch + GradientGroup - 1) / GradientGroup, groupLength = filters * (stride + 1);
        var partials = ArrayPool<T>.Shared.Rent(Math.Max(1, groups * groupLength));
        try
        {
            partials.AsSpan(0, groups * groupLength).Clear();
            CpuParallel.For(groups, 1, (start, end) =>
            {
                for (int group = start; group < end; group++)
                {
                    var sums = partials.AsSpan(group * groupLength, groupLength);
                    accumulate(group * GradientGroup, Math.Min(batch, (group + 1) * GradientGroup), sums[..(filters * stride)], sums[(filters * stride)..]);
                }
            });
            var weights = dw.Span;
            var biases = db.Span;
            weights.Clear();
            biases.Clear();
            for (int group = 0; group < groups; group++)
            {
                var sums = partials.AsSpan(group * groupLength, groupLength);
                for (int f = 0; f < filters; f++)
                    TensorPrimitives.Add(weights.Slice(f * taps, taps), sums.Slice(f * stride, taps), weights.Slice(f * taps, taps));
                TensorPrimitives.Add(biases, sums.Slice(filters * stride, filters), biases);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(partials);
        }
    }
}

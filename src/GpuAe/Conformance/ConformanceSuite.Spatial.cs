using GpuAe.Backends;

namespace GpuAe.Conformance;

// The spatial layers' PyTorch options (issue #11): rectangular kernels, per-axis strides and dilation, the asymmetric
// and negative bottom/right padding of PyTorch's transposed convolution (padding p, output_padding op: the adjoint
// convolution pads p before and p - op after), pooling in ceil mode with both average divisors, bilinear upsampling.
public static partial class ConformanceSuite
{
    /// <summary>Registered in <see cref="Checks"/>; a property, so it does not depend on the partial files' initialisation order.</summary>
    private static Check[] SpatialChecks =>
    [
        new("Im2ColPyTorchGeometry", Tolerance.Exact, s => Im2ColCases(s, TorchConvCases)),
        new("Col2ImPyTorchGeometry", new Tolerance(1e-6, 1e-5), s => Col2ImCases(s, TorchConvCases)),
        new("MaxPoolForwardCeilMode", Tolerance.Exact, s => MaxPoolForwardCases(s, TorchPoolCases)),
        new("MaxPoolBackwardCeilMode", new Tolerance(1e-6, 1e-5), s => MaxPoolBackwardCases(s, TorchPoolCases)),
        new("AvgPoolForwardDivisors", new Tolerance(1e-6, 1e-5), s => AvgPoolForwardCases(s, TorchPoolCases)),
        new("AvgPoolBackwardDivisors", new Tolerance(1e-6, 1e-5), s => AvgPoolBackwardCases(s, TorchPoolCases)),
        new("UpsampleBilinearForward", new Tolerance(1e-6, 1e-5), UpsampleBilinearForwardCheck),
        // dx sums up to ~(2 * scale + 2)^2 weighted terms of |dy| <= 1 that largely cancel: float32's rounding is absolute
        new("UpsampleBilinearBackward", new Tolerance(5e-6, 1e-5), UpsampleBilinearBackwardCheck),
    ];

    private static readonly (ConvGeometry G, int Batch)[] TorchConvCases =
    [
        // rectangular kernel, per-axis stride and dilation, symmetric integer padding (Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)))
        (new ConvGeometry(3, 11, 13, 3, 5, StrideH: 2, StrideW: 1, PadTop: 1, PadLeft: 2, PadBottom: 1, PadRight: 2, DilationH: 1, DilationW: 2), 2),
        // stride 3 x 2 on a prime-sized input, no padding
        (new ConvGeometry(2, 17, 7, 2, 3, StrideH: 3, StrideW: 2), 3),
        // adjoint of ConvTranspose2d(k=3, s=2, p=1, output_padding=1) from 7x5: output 14x10, bottom/right padding p - op = 0
        (new ConvGeometry(4, 14, 10, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 0, PadRight: 0), 2),
        // adjoint of ConvTranspose2d(k=(2, 4), s=(3, 2), p=(0, 1), output_padding=(2, 1), dilation=(1, 2)): negative bottom padding
        (new ConvGeometry(3, 11, 14, 2, 4, StrideH: 3, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: -2, PadRight: 0, DilationH: 1, DilationW: 2), 2),
        // dilation 3 with a 1 x 1 output column
        (new ConvGeometry(1, 9, 7, 3, 3, StrideH: 1, StrideW: 1, PadTop: 0, PadLeft: 0, PadBottom: 0, PadRight: 0, DilationH: 3, DilationW: 3), 5),
    ];

    private static readonly (PoolGeometry G, int Planes)[] TorchPoolCases =
    [
        // MaxPool2d/AvgPool2d(3, stride=2, padding=1, ceil_mode=True) on 8x8: the last window hangs over the padding
        (new PoolGeometry(8, 8, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true, CountPadding: true), 3),
        (new PoolGeometry(8, 8, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true, CountPadding: false), 3),
        // rectangular window, per-axis stride, ceil mode without padding on primes
        (new PoolGeometry(7, 11, 2, 3, 2, 3, CeilMode: true, CountPadding: true), 4),
        (new PoolGeometry(13, 5, 3, 2, 3, 2, 1, 1, 1, 1, CeilMode: false, CountPadding: false), 2),
        // a ceil-mode window that would start in the bottom padding is dropped (5 + 2*1 - 2 = 5 -> 3, not 4 outputs)
        (new PoolGeometry(5, 5, 2, 2, 2, 2, 1, 1, 1, 1, CeilMode: true, CountPadding: true), 2),
        // Keras "same" (extra pixel after) averaged over the input only
        (new PoolGeometry(7, 7, 2, 2, 2, 2, 0, 0, 1, 1, CountPadding: false), 3),
        (new PoolGeometry(1, 1, 1, 1, 1, 1, CeilMode: true), 1),
    ];

    private static void Im2ColCases(Session s, (ConvGeometry G, int Batch)[] cases)
    {
        foreach (var (g, batch) in cases)
            s.Case(Describe(g, batch), () =>
            {
                var x = s.Real(s.Uniform(batch * g.Channels * g.Height * g.Width));
                var cols = s.Real(g.PatchSize * batch * g.OutHeight * g.OutWidth);
                s.Ref.Im2Col(g, batch, x.R, cols.R);
                s.Sub.Im2Col(g, batch, x.S, cols.S);
                s.Compare("columns", cols);
            });
    }

    private static void Col2ImCases(Session s, (ConvGeometry G, int Batch)[] cases)
    {
        foreach (var (g, batch) in cases)
            s.Case(Describe(g, batch), () =>
            {
                var cols = s.Real(s.Uniform(g.PatchSize * batch * g.OutHeight * g.OutWidth));
                var dx = s.Real(batch * g.Channels * g.Height * g.Width);
                s.Ref.Col2Im(g, batch, cols.R, dx.R);
                s.Sub.Col2Im(g, batch, cols.S, dx.S);
                s.Compare("dx", dx);
            });
    }

    private static string DescribeSpatial(PoolGeometry g, int planes) =>
        $"{Describe(g, planes)}{(g.CeilMode ? " ceil" : "")} count_include_pad={g.CountPadding} -> {g.OutHeight}x{g.OutWidth}";

    private static void MaxPoolForwardCases(Session s, (PoolGeometry G, int Planes)[] cases)
    {
        foreach (var (g, planes) in cases)
            s.Case(DescribeSpatial(g, planes), () =>
            {
                var x = s.Real(s.Uniform(planes * g.Height * g.Width));
                var y = s.Real(planes * g.OutHeight * g.OutWidth);
                var arg = s.Ints(new int[planes * g.OutHeight * g.OutWidth]);
                s.Ref.MaxPoolForward(g, planes, x.R, y.R, arg.R);
                s.Sub.MaxPoolForward(g, planes, x.S, y.S, arg.S);
                s.Compare("y", y);
                s.CompareInts("argmax", arg);
            });
    }

    private static void MaxPoolBackwardCases(Session s, (PoolGeometry G, int Planes)[] cases)
    {
        foreach (var (g, planes) in cases)
            s.Case(DescribeSpatial(g, planes), () =>
            {
                int outputs = planes * g.OutHeight * g.OutWidth;
                var x = s.Real(s.Uniform(planes * g.Height * g.Width));
                var y = s.Real(outputs);
                var arg0 = s.Ints(new int[outputs]);
                s.Ref.MaxPoolForward(g, planes, x.R, y.R, arg0.R);
                var arg = s.Ints(s.ReferenceInts(arg0));
                var dy = s.Real(s.Uniform(outputs));
                var dx = s.Real(planes * g.Height * g.Width);
                s.Ref.MaxPoolBackward(g, planes, dy.R, arg.R, dx.R);
                s.Sub.MaxPoolBackward(g, planes, dy.S, arg.S, dx.S);
                s.Compare("dx", dx);
            });
    }

    private static void AvgPoolForwardCases(Session s, (PoolGeometry G, int Planes)[] cases)
    {
        foreach (var (g, planes) in cases)
            s.Case(DescribeSpatial(g, planes), () =>
            {
                var x = s.Real(s.Uniform(planes * g.Height * g.Width));
                var y = s.Real(planes * g.OutHeight * g.OutWidth);
                s.Ref.AvgPoolForward(g, planes, x.R, y.R);
                s.Sub.AvgPoolForward(g, planes, x.S, y.S);
                s.Compare("y", y);
            });
    }

    private static void AvgPoolBackwardCases(Session s, (PoolGeometry G, int Planes)[] cases)
    {
        foreach (var (g, planes) in cases)
            s.Case(DescribeSpatial(g, planes), () =>
            {
                var dy = s.Real(s.Uniform(planes * g.OutHeight * g.OutWidth));
                var dx = s.Real(planes * g.Height * g.Width);
                s.Ref.AvgPoolBackward(g, planes, dy.R, dx.R);
                s.Sub.AvgPoolBackward(g, planes, dy.S, dx.S);
                s.Compare("dx", dx);
            });
    }

    // (planes, H, W, OH, OW): 1 -> 1, 1 -> many, integer scales, a prime scale, the conv preset's 7 -> 14 and 14 -> 28,
    // and non-integer ratios (downsampling, 5 -> 7) that the gather's output ranges must also cover.
    private static readonly (int Planes, int H, int W, int OH, int OW)[] BilinearCases =
        [(1, 1, 1, 1, 1), (2, 1, 3, 2, 6), (3, 5, 7, 10, 21), (16, 7, 7, 14, 14), (2, 2, 13, 4, 26), (8, 14, 14, 28, 28), (2, 9, 5, 4, 7)];

    private static void UpsampleBilinearForwardCheck(Session s)
    {
        foreach (bool align in new[] { false, true })
            foreach (var (p, h, w, oh, ow) in BilinearCases)
                s.Case($"{p} planes {h}x{w} -> {oh}x{ow} align_corners={align}", () =>
                {
                    var x = s.Real(s.Uniform(p * h * w));
                    var y = s.Real(p * oh * ow);
                    s.Ref.UpsampleBilinearForward(p, h, w, oh, ow, align, x.R, y.R);
                    s.Sub.UpsampleBilinearForward(p, h, w, oh, ow, align, x.S, y.S);
                    s.Compare("y", y);
                });
    }

    private static void UpsampleBilinearBackwardCheck(Session s)
    {
        foreach (bool align in new[] { false, true })
            foreach (var (p, h, w, oh, ow) in BilinearCases)
                s.Case($"{p} planes {h}x{w} -> {oh}x{ow} align_corners={align}", () =>
                {
                    var dy = s.Real(s.Uniform(p * oh * ow));
                    var dx = s.Real(p * h * w);
                    s.Ref.UpsampleBilinearBackward(p, h, w, oh, ow, align, dy.R, dx.R);
                    s.Sub.UpsampleBilinearBackward(p, h, w, oh, ow, align, dy.S, dx.S);
                    s.Compare("dx", dx);
                });
    }
}

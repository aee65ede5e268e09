using GpuAe.Backends;

namespace GpuAe.Conformance;

// Direct convolution (issue #13): ConvForward, ConvBackwardData and ConvBackwardFilter of the subject against the
// reference backend's im2col composition — Im2Col + GEMM (per-row bias and activation epilogue) + SwapLeadingAxes
// forward; ActivationBackward + SwapLeadingAxes + GEMMs + Col2Im / BiasGradient backward — so the reference does
// not go through any backend's direct entries and checks them independently.
public static partial class ConformanceSuite
{
    /// <summary>Registered in <see cref="Checks"/>; a property (tolerances written inline), so it does not depend on the
    /// partial files' initialisation order. Forward and backward-data outputs sum at most C*KH*KW (or F*KH*KW) = 255
    /// products of O(1) terms in a different order than GEMM + col2im: a few float32 roundings of sums up to ~10.
    /// dW and db sum batch*OH*OW (up to 3920) terms, as the GEMM's K and the bias row sums do.</summary>
    private static Check[] DirectConvChecks =>
    [
        new("PrefersDirectConvolution", Tolerance.Exact, PrefersDirectConvolutionCheck),
        new("ConvForward", new Tolerance(2e-5, 2e-5), s => DirectConvCases(s, ConvForwardCase)),
        new("ConvBackwardData", new Tolerance(2e-5, 2e-5), s => DirectConvCases(s, ConvBackwardDataCase)),
        new("ConvBackwardFilter", new Tolerance(1e-4, 2e-5), s => DirectConvCases(s, ConvBackwardFilterCase)),
    ];

    /// <summary>The choice is pure (IBackend's contract): the same answer for the same arguments, and no throw.</summary>
    private static void PrefersDirectConvolutionCheck(Session s)
    {
        foreach (var (g, batch, filters) in DirectCases)
            s.Case($"{Describe(g, batch)} F{filters}", () =>
            {
                bool first = s.Sub.PrefersDirectConvolution(g, filters);
                if (s.Sub.PrefersDirectConvolution(g, filters) != first)
                    throw new InvalidOperationException($"PrefersDirectConvolution answered {first}, then {!first}");
            });
    }

    /// <summary>Edge and preset shapes: batch 1, 1/3/17 channels, 1/5 filters, 1x1/3x3/5x3 kernels, strides, dilations,
    /// asymmetric and negative explicit padding, valid and same; every case runs with every activation.</summary>
    private static readonly (ConvGeometry G, int Batch, int Filters)[] DirectCases =
    [
        (new ConvGeometry(1, 1, 1, 1, 1), 1, 1),
        // the conv preset's first layer (3x3 same on 28x28), a long dW reduction (5 * 784 terms per weight)
        (new ConvGeometry(1, 28, 28, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 5, 16),
        // 5x3 kernel, stride 2, asymmetric explicit padding
        (new ConvGeometry(3, 7, 5, 5, 3, StrideH: 2, StrideW: 2, PadTop: 2, PadLeft: 1, PadBottom: 0, PadRight: 1), 3, 5),
        // dilation 2 with 17 channels, one filter
        (new ConvGeometry(17, 11, 13, 3, 3, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, DilationH: 2, DilationW: 2), 2, 1),
        // 1x1 kernel, per-axis stride (3, 2): inputs no output reads get zero gradient
        (new ConvGeometry(3, 9, 9, 1, 1, StrideH: 3, StrideW: 2), 1, 5),
        // 5x3 kernel with stride 2 and dilation 2 together, asymmetric padding on a prime-sized input
        (new ConvGeometry(1, 17, 7, 5, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 0, PadBottom: 2, PadRight: 3, DilationH: 2, DilationW: 2), 2, 5),
        // valid 3x3 on 17 channels (the conv preset's valid layer has 8 -> 16 on 8x8)
        (new ConvGeometry(17, 14, 14, 3, 3), 2, 5),
        (new ConvGeometry(8, 8, 8, 3, 3), 3, 16),
        // the adjoint geometry of a transposed convolution: negative bottom padding, rectangular, per-axis stride and dilation
        (new ConvGeometry(3, 11, 14, 2, 4, StrideH: 3, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: -2, PadRight: 0, DilationH: 1, DilationW: 2), 2, 3),
        // a 1x1 input under a 3x3 same kernel: all but the centre tap read padding
        (new ConvGeometry(2, 1, 1, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 3, 1),
    ];

    private static void DirectConvCases(Session s, Action<Session, ConvGeometry, int, int, Activation> body)
    {
        foreach (var (g, batch, filters) in DirectCases)
            foreach (var activation in Enum.GetValues<Activation>())
                s.Case($"{Describe(g, batch)} F{filters} {activation}", () => body(s, g, batch, filters, activation));
    }

    private static void ConvForwardCase(Session s, ConvGeometry g, int batch, int filters, Activation activation)
    {
        var x = s.Real(s.Uniform(batch * g.Channels * g.Height * g.Width));
        var w = s.Real(s.Uniform(filters * g.PatchSize, -0.5f, 0.5f));
        var bias = s.Real(s.Uniform(filters));
        var y = s.Real(batch * filters * g.OutHeight * g.OutWidth);
        ReferenceConvForward(s.Ref, g, batch, filters, x.R, w.R, bias.R, activation, y.R);
        s.Sub.ConvForward(g, batch, filters, x.S, w.S, bias.S, activation, y.S);
        s.Compare("y", y);
    }

    private static void ConvBackwardDataCase(Session s, ConvGeometry g, int batch, int filters, Activation activation)
    {
        var (y, dy, w) = BackwardInputs(s, g, batch, filters, activation);
        int pixels = g.OutHeight * g.OutWidth, columns = batch * pixels;
        var dx = s.Real(batch * g.Channels * g.Height * g.Width);
        using (var dzc = ReferenceDz(s.Ref, batch, filters, pixels, activation, y.R, dy.R))
        using (var dcols = s.Ref.Allocate((long)g.PatchSize * columns))
        {
            s.Ref.Gemm(Transpose.Yes, Transpose.No, g.PatchSize, columns, filters, 1f, w.R, g.PatchSize, dzc.All, columns, 0f, dcols.All, columns);
            s.Ref.Col2Im(g, batch, dcols.All, dx.R);
        }
        s.Sub.ConvBackwardData(g, batch, filters, activation, y.S, dy.S, w.S, dx.S);
        s.Compare("dx", dx);
    }

    private static void ConvBackwardFilterCase(Session s, ConvGeometry g, int batch, int filters, Activation activation)
    {
        var (y, dy, _) = BackwardInputs(s, g, batch, filters, activation);
        var x = s.Real(s.Uniform(batch * g.Channels * g.Height * g.Width));
        int pixels = g.OutHeight * g.OutWidth, columns = batch * pixels;
        var dw = s.Real(filters * g.PatchSize);
        var db = s.Real(filters);
        using (var dzc = ReferenceDz(s.Ref, batch, filters, pixels, activation, y.R, dy.R))
        using (var cols = s.Ref.Allocate((long)g.PatchSize * columns))
        {
            s.Ref.Im2Col(g, batch, x.R, cols.All);
            s.Ref.Gemm(Transpose.No, Transpose.Yes, filters, g.PatchSize, columns, 1f, dzc.All, columns, cols.All, columns, 0f, dw.R, g.PatchSize);
            s.Ref.BiasGradient(BiasMode.PerRow, filters, columns, dzc.All, db.R, accumulate: false);
        }
        s.Sub.ConvBackwardFilter(g, batch, filters, activation, x.S, y.S, dy.S, dw.S, db.S);
        s.Compare("dw", dw);
        s.Compare("db", db);
    }

    /// <summary>y = a forward output of the reference (so it lies in the activation's range, as the derivative through y
    /// assumes), a random dy and the weights that made y, on both backends.</summary>
    private static (Pair Y, Pair Dy, Pair W) BackwardInputs(Session s, ConvGeometry g, int batch, int filters, Activation activation)
    {
        var x = s.Real(s.Uniform(batch * g.Channels * g.Height * g.Width));
        var w = s.Real(s.Uniform(filters * g.PatchSize, -0.5f, 0.5f));
        var bias = s.Real(s.Uniform(filters));
        int outputs = batch * filters * g.OutHeight * g.OutWidth;
        var y0 = s.Real(outputs);
        ReferenceConvForward(s.Ref, g, batch, filters, x.R, w.R, bias.R, activation, y0.R);
        return (s.Real(s.ReferenceValues(y0)), s.Real(s.Uniform(outputs)), w);
    }

    /// <summary>y = act(W · im2col(x) + b) in [F, batch*OH*OW], swapped to NCHW: the im2col path of Conv2DLayer.</summary>
    private static void ReferenceConvForward(IBackend r, ConvGeometry g, int batch, int filters,
        BufferView x, BufferView w, BufferView bias, Activation activation, BufferView y)
    {
        int pixels = g.OutHeight * g.OutWidth, columns = batch * pixels;
        using var cols = r.Allocate((long)g.PatchSize * columns);
        using var yc = r.Allocate((long)filters * columns);
        r.Im2Col(g, batch, x, cols.All);
        r.Gemm(Transpose.No, Transpose.No, filters, columns, g.PatchSize, 1f, w, g.PatchSize, cols.All, columns,
            0f, yc.All, columns, BiasMode.PerRow, bias, activation);
        r.SwapLeadingAxes(filters, batch, pixels, yc.All, y);
    }

    /// <summary>dz = dy · f'(y) (the fused activations' parameters), swapped to CNHW [F, batch*OH*OW]. The caller disposes it.</summary>
    private static DeviceBuffer ReferenceDz(IBackend r, int batch, int filters, int pixels, Activation activation, BufferView y, BufferView dy)
    {
        using var dz = r.Allocate(y.Length);
        r.ActivationBackward(activation, ActivationParameters.Default, y, dy, dz.All);
        var dzc = r.Allocate(y.Length);
        r.SwapLeadingAxes(batch, filters, pixels, dz.All, dzc.All);
        return dzc;
    }
}

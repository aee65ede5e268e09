using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

namespace GpuAe.Layers.Conv2DTranspose;

/// <summary>
/// 2-D transposed convolution ("deconvolution"), the adjoint of a convolution G that maps the output
/// [OC, OH, OW] back to the input [C, H, W]. So it runs Conv2D's backward-data path forward, batched over the
/// whole minibatch: columns [OC*K*K, N*H*W] = Wᵀ·x (x in CNHW), y = col2im(columns) (a gather, no atomics),
/// then the per-channel bias and activation over NCHW. Backward is G's forward: dcolumns = im2col(dz),
/// dW = x·dcolumnsᵀ, dx = W·dcolumns, db = per-channel sums of dz; dW and db on the side stream (<see cref="StepStream.Side"/>).
/// W is [C, OC, K, K] as in PyTorch's ConvTranspose2d, so checkpoints load there unchanged. Output size and
/// padding follow Keras/TensorFlow: "same" gives H*stride, "valid" gives H*stride + max(K - stride, 0), and the
/// padding is the one G would use in TensorFlow on an input of the output's size (extra pixel after).
/// PyTorch crops symmetrically, so to reproduce "same" there with K - stride odd (K 3, stride 2), run
/// ConvTranspose2d with padding 0 and keep the leading H*stride rows and columns. With padding "explicit" the layer
/// is PyTorch's ConvTranspose2d(padding, output_padding, dilation): G pads pad before and pad - output_padding after.
/// </summary>
internal sealed class Conv2DTransposeLayer : Layer
{
    private readonly ConvGeometry _geometry;   // G: the convolution whose adjoint this layer is (its input is our output)
    private readonly int _inputChannels, _filters;

    public Conv2DTransposeLayer(string name, Shape inputShape, int filters, int kernel, int stride, Padding padding, Activation activation)
        : this(name, inputShape, new Conv2DTransposeSpec(filters, kernel, activation, padding, stride))
    {
    }

    public Conv2DTransposeLayer(string name, Shape inputShape, Conv2DTransposeSpec spec) : base(name, inputShape)
    {
        const string kind = "conv2d_transpose";
        SpatialChecks.ImageInput(name, kind, inputShape);
        var o = spec.Options;
        var (outputPadH, outputPadW) = spec.OutputPaddingSize;
        SpatialChecks.AtLeast(name, kind, 1, ("filters", spec.Filters), ("kernel", o.Window.H), ("kernel_w", o.Window.W),
            ("stride", o.Stride.H), ("stride_w", o.Stride.W), ("dilation", o.Dilation.H), ("dilation_w", o.Dilation.W));
        SpatialChecks.AtLeast(name, kind, 0, ("pad", o.Pad.H), ("pad_w", o.Pad.W), ("output_padding", outputPadH), ("output_padding_w", outputPadW));
        SpatialChecks.ExplicitOnly(name, kind, spec.Padding, ("pad", spec.Pad), ("pad_w", spec.PadW),
            ("output_padding", spec.OutputPadding), ("output_padding_w", spec.OutputPaddingW));
        if (outputPadH >= Math.Max(o.Stride.H, o.Dilation.H) || outputPadW >= Math.Max(o.Stride.W, o.Dilation.W))
            throw new ModelSpecException($"{name}: {kind} output_padding {outputPadH}x{outputPadW} must be smaller than the stride " +
                $"{o.Stride.H}x{o.Stride.W} or the dilation {o.Dilation.H}x{o.Dilation.W} (PyTorch's limit)");
        int c = inputShape[0], h = inputShape[1], w = inputShape[2];
        long outH = OutputLength(o.Padding, h, o.Window.H, o.Stride.H, o.Pad.H, o.Dilation.H, outputPadH);
        long outW = OutputLength(o.Padding, w, o.Window.W, o.Stride.W, o.Pad.W, o.Dilation.W, outputPadW);
        if (outH <= 0 || outW <= 0)
            throw new ModelSpecException($"{name}: {kind} with {SpatialChecks.Describe(o)} and output_padding {outputPadH}x{outputPadW} " +
                $"does not fit input {inputShape} (output {outH}x{outW})");
        if (outH * outW * spec.Filters > int.MaxValue)
            throw new ModelSpecException($"{name}: a stride-{o.Stride.H}x{o.Stride.W} {kind} of input {inputShape} gives {spec.Filters} x {outH} x {outW}, too large for one sample");
        // G's padding: PyTorch's crops pad before and pad - output_padding after (negative: the last rows no window
        // reaches, as output_padding adds them); Keras' is the one G would use in TensorFlow on an input of the output's size.
        var (top, bottom) = o.Padding == Padding.Explicit ? (o.Pad.H, o.Pad.H - outputPadH)
            : PaddingMath.Amount(o.Padding, (int)outH, o.Window.H, o.Stride.H, o.Dilation.H);
        var (left, right) = o.Padding == Padding.Explicit ? (o.Pad.W, o.Pad.W - outputPadW)
            : PaddingMath.Amount(o.Padding, (int)outW, o.Window.W, o.Stride.W, o.Dilation.W);
        _geometry = new ConvGeometry(spec.Filters, (int)outH, (int)outW, o.Window.H, o.Window.W, o.Stride.H, o.Stride.W,
            top, left, bottom, right, o.Dilation.H, o.Dilation.W);
        if (_geometry.OutHeight != h || _geometry.OutWidth != w)
            throw new InvalidOperationException(
                $"{name}: internal error: the adjoint convolution of a {outH}x{outW} output gives {_geometry.OutHeight}x{_geometry.OutWidth}, not the input {h}x{w}");
        _inputChannels = c;
        _filters = spec.Filters;
        Activation = spec.Activation;
        // Keras computes Conv2DTranspose's fans from its kernel [KH, KW, filters, C]: fan-in KH*KW*filters, fan-out KH*KW*C.
        int window = o.Window.H * o.Window.W;
        Parameters =
        [
            new ParameterDecl($"{name}.weight", new Shape(c, spec.Filters, o.Window.H, o.Window.W), new ParameterInit.GlorotUniform(spec.Filters * window, c * window)),
            new ParameterDecl($"{name}.bias", new Shape(spec.Filters), new ParameterInit.Zeros()),
        ];
    }

    /// <summary>Output length along one axis: PyTorch's formula with explicit padding, Keras' otherwise.</summary>
    private static long OutputLength(Padding padding, int input, int kernel, int stride, int pad, int dilation, int outputPadding) =>
        padding == Padding.Explicit
            ? PaddingMath.TorchTransposedOutput(input, kernel, stride, pad, dilation, outputPadding)
            : PaddingMath.TransposedOutput(padding, input, dilation * (kernel - 1) + 1, stride);

    /// <summary>G, the convolution whose adjoint this layer is (its input is this layer's output), for readers such as exporters.</summary>
    internal ConvGeometry Geometry => _geometry;

    public Activation Activation { get; }
    public override Shape OutputShape => new(_filters, _geometry.Height, _geometry.Width);
    public override IReadOnlyList<ParameterDecl> Parameters { get; }

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        var g = _geometry;
        int batch = Batch(x), channels = _inputChannels, filters = _filters, patch = g.PatchSize;
        int inPixels = g.OutHeight * g.OutWidth, outPixels = g.Height * g.Width, columns = batch * inPixels;
        var w = parameters.Get(graph, Parameters[0].Name);
        var b = parameters.Get(graph, Parameters[1].Name);
        var backend = graph.Backend;
        var activation = Activation;

        var xc = SwapLeading(graph, $"{Name}.x_cnhw", x, batch, channels, inPixels, new Shape(channels, columns));
        var cols = graph.Planned($"{Name}.columns", new Shape(patch, columns));
        graph.Add($"{Name}.gemm", [w.Value, xc], [cols], r =>
        {
            BufferView wv = r[w.Value], xv = r[xc], cv = r[cols];
            return () => backend.Gemm(Transpose.Yes, Transpose.No, patch, columns, channels, 1f, wv, patch, xv, columns, 0f, cv, columns);
        });
        var y = graph.Planned($"{Name}.y", new Shape(batch, filters, g.Height, g.Width));
        graph.Add($"{Name}.col2im", [cols], [y], r =>
        {
            BufferView cv = r[cols], yv = r[y];
            return () => backend.Col2Im(g, batch, cv, yv);
        });
        graph.Add($"{Name}.bias_activation", [y, b.Value], [y], r =>
        {
            BufferView yv = r[y], bv = r[b.Value];
            return () => backend.ChannelBiasActivation(activation, batch, filters, outPixels, yv, bv, yv);
        });

        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            var dz = ActivationGradient(gb, Name, activation, y, dy);
            var dcols = gb.Planned($"{Name}.dcolumns", new Shape(patch, columns));
            gb.Add($"{Name}.im2col", [dz], [dcols], r =>
            {
                BufferView dzv = r[dz], dcv = r[dcols];
                return () => backend.Im2Col(g, batch, dzv, dcv);
            });
            // dW and db on the side stream, beside the dx GEMM (only the optimizer reads them): one fork for both.
            gb.Add($"{Name}.weight_gradient", [xc, dcols], [w.Gradient], r =>
            {
                BufferView xv = r[xc], dcv = r[dcols], dwv = r[w.Gradient];
                return () => backend.Gemm(Transpose.No, Transpose.Yes, channels, patch, columns, 1f, xv, columns, dcv, columns, 0f, dwv, patch);
            }, StepStream.Side);
            // db[c] = Σ over images and pixels: per-plane sums, then the images' planes added in order (no atomics).
            var planeSums = gb.Planned($"{Name}.plane_sums", new Shape(batch, filters));
            gb.Add($"{Name}.partial_bias_gradient", [dz], [planeSums], r =>
            {
                BufferView dzv = r[dz], pv = r[planeSums];
                return () => backend.RowSums(batch * filters, outPixels, dzv, pv);
            }, StepStream.Side);
            gb.Add($"{Name}.bias_gradient", [planeSums], [b.Gradient], r =>
            {
                BufferView pv = r[planeSums], dbv = r[b.Gradient];
                return () => backend.BiasGradient(BiasMode.PerColumn, batch, filters, pv, dbv, accumulate: false);
            }, StepStream.Side);
            if (!needInputGradient) return null;
            var dxc = gb.Planned($"{Name}.dx_cnhw", new Shape(channels, columns));
            gb.Add($"{Name}.input_gradient", [w.Value, dcols], [dxc], r =>
            {
                BufferView wv = r[w.Value], dcv = r[dcols], dxv = r[dxc];
                return () => backend.Gemm(Transpose.No, Transpose.No, channels, columns, patch, 1f, wv, patch, dcv, columns, 0f, dxv, columns);
            });
            return SwapLeading(gb, $"{Name}.dx", dxc, channels, batch, inPixels, x.Shape);
        });
    }
}

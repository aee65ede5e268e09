using GpuAe.Backends;
using GpuAe.Graph;

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
/// ConvTranspose2d with padding 0 and keep the leading H*stride rows and columns.
/// </summary>
internal sealed class Conv2DTransposeLayer : Layer
{
    private readonly ConvGeometry _geometry;   // G: the convolution whose adjoint this layer is (its input is our output)
    private readonly int _inputChannels, _filters;

    public Conv2DTransposeLayer(string name, Shape inputShape, int filters, int kernel, int stride, Padding padding, Activation activation)
        : base(name, inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ModelSpecException($"{name}: conv2d_transpose expects an image input [C, H, W] per sample, got {inputShape}");
        if (filters <= 0 || kernel <= 0 || stride <= 0)
            throw new ModelSpecException($"{name}: conv2d_transpose needs positive filters, kernel and stride (got {filters}, {kernel}, {stride})");
        int c = inputShape[0], h = inputShape[1], w = inputShape[2];
        long outH = PaddingMath.TransposedOutput(padding, h, kernel, stride), outW = PaddingMath.TransposedOutput(padding, w, kernel, stride);
        if (outH * outW * filters > int.MaxValue)
            throw new ModelSpecException($"{name}: a stride-{stride} conv2d_transpose of input {inputShape} gives {filters} x {outH} x {outW}, too large for one sample");
        var (top, bottom) = PaddingMath.Amount(padding, (int)outH, kernel, stride);
        var (left, right) = PaddingMath.Amount(padding, (int)outW, kernel, stride);
        _geometry = new ConvGeometry(filters, (int)outH, (int)outW, kernel, kernel, stride, stride, top, left, bottom, right);
        if (_geometry.OutHeight != h || _geometry.OutWidth != w)
            throw new InvalidOperationException(
                $"{name}: internal error: the adjoint convolution of a {outH}x{outW} output gives {_geometry.OutHeight}x{_geometry.OutWidth}, not the input {h}x{w}");
        _inputChannels = c;
        _filters = filters;
        Activation = activation;
        // Keras computes Conv2DTranspose's fans from its kernel [K, K, filters, C]: fan-in K*K*filters, fan-out K*K*C.
        Parameters =
        [
            new ParameterDecl($"{name}.weight", new Shape(c, filters, kernel, kernel), new ParameterInit.GlorotUniform(filters * kernel * kernel, c * kernel * kernel)),
            new ParameterDecl($"{name}.bias", new Shape(filters), new ParameterInit.Zeros()),
        ];
    }

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

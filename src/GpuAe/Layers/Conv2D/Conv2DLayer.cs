using GpuAe.Backends;
using GpuAe.Graph;

namespace GpuAe.Layers.Conv2D;

/// <summary>
/// 2-D convolution as im2col + one GEMM over the whole batch (Caffe's scheme, batched):
/// columns [C*KH*KW, N*OH*OW]; Y' = W·columns + b (fused bias+activation) in [OC, N, OH*OW];
/// then a swap of the two leading axes gives NCHW. Backward: dW = dY'·columnsᵀ, db = row sums of dY',
/// dcolumns = Wᵀ·dY', dx = col2im(dcolumns) (a gather, no atomics). W is [OC, C, KH, KW] as in PyTorch.
/// dW and db run on the side stream (<see cref="StepStream.Side"/>), beside dcolumns and col2im.
/// </summary>
internal sealed class Conv2DLayer : Layer
{
    private readonly ConvGeometry _geometry;
    private readonly int _filters;

    public Conv2DLayer(string name, Shape inputShape, int filters, int kernel, int stride, Padding padding, Activation activation)
        : base(name, inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ModelSpecException($"{name}: conv2d expects an image input [C, H, W] per sample, got {inputShape}");
        if (filters <= 0 || kernel <= 0 || stride <= 0)
            throw new ModelSpecException($"{name}: conv2d needs positive filters, kernel and stride (got {filters}, {kernel}, {stride})");
        int c = inputShape[0], h = inputShape[1], w = inputShape[2];
        var (top, bottom) = PaddingMath.Amount(padding, h, kernel, stride);
        var (left, right) = PaddingMath.Amount(padding, w, kernel, stride);
        _geometry = new ConvGeometry(c, h, w, kernel, kernel, stride, stride, top, left, bottom, right);
        if (_geometry.OutHeight <= 0 || _geometry.OutWidth <= 0)
            throw new ModelSpecException($"{name}: a {kernel}x{kernel} '{padding.ToString().ToLowerInvariant()}' convolution does not fit input {inputShape}");
        _filters = filters;
        Activation = activation;
        int fanIn = c * kernel * kernel, fanOut = filters * kernel * kernel;
        Parameters =
        [
            new ParameterDecl($"{name}.weight", new Shape(filters, c, kernel, kernel), new ParameterInit.GlorotUniform(fanIn, fanOut)),
            new ParameterDecl($"{name}.bias", new Shape(filters), new ParameterInit.Zeros()),
        ];
    }

    public Activation Activation { get; }
    public override Shape OutputShape => new(_filters, _geometry.OutHeight, _geometry.OutWidth);
    public override IReadOnlyList<ParameterDecl> Parameters { get; }

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        var g = _geometry;
        int batch = Batch(x), filters = _filters, patch = g.PatchSize, pixels = g.OutHeight * g.OutWidth;
        int columns = batch * pixels;
        var w = parameters.Get(graph, Parameters[0].Name);
        var b = parameters.Get(graph, Parameters[1].Name);
        var backend = graph.Backend;
        var activation = Activation;

        var cols = graph.Planned($"{Name}.columns", new Shape(patch, columns));
        graph.Add($"{Name}.im2col", [x], [cols], r =>
        {
            BufferView xv = r[x], cv = r[cols];
            return () => backend.Im2Col(g, batch, xv, cv);
        });
        var yc = graph.Planned($"{Name}.y_cnhw", new Shape(filters, columns));
        graph.Add($"{Name}.gemm", [w.Value, cols, b.Value], [yc], r =>
        {
            BufferView wv = r[w.Value], cv = r[cols], bv = r[b.Value], yv = r[yc];
            return () => backend.Gemm(Transpose.No, Transpose.No, filters, columns, patch, 1f, wv, patch, cv, columns,
                0f, yv, columns, BiasMode.PerRow, bv, activation);
        });
        var y = SwapLeading(graph, $"{Name}.to_nchw", yc, filters, batch, pixels, new Shape(batch, filters, g.OutHeight, g.OutWidth));

        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            var dz = ActivationGradient(gb, Name, activation, y, dy);
            var dzc = SwapLeading(gb, $"{Name}.dz_to_cnhw", dz, batch, filters, pixels, new Shape(filters, columns));
            gb.Add($"{Name}.weight_gradient", [dzc, cols], [w.Gradient], r =>
            {
                BufferView dzv = r[dzc], cv = r[cols], dwv = r[w.Gradient];
                return () => backend.Gemm(Transpose.No, Transpose.Yes, filters, patch, columns, 1f, dzv, columns, cv, columns, 0f, dwv, patch);
            }, StepStream.Side);
            gb.Add($"{Name}.bias_gradient", [dzc], [b.Gradient], r =>
            {
                BufferView dzv = r[dzc], dbv = r[b.Gradient];
                return () => backend.BiasGradient(BiasMode.PerRow, filters, columns, dzv, dbv, accumulate: false);
            }, StepStream.Side);
            if (!needInputGradient) return null;
            var dcols = gb.Planned($"{Name}.dcolumns", new Shape(patch, columns));
            gb.Add($"{Name}.columns_gradient", [w.Value, dzc], [dcols], r =>
            {
                BufferView wv = r[w.Value], dzv = r[dzc], dcv = r[dcols];
                return () => backend.Gemm(Transpose.Yes, Transpose.No, patch, columns, filters, 1f, wv, patch, dzv, columns, 0f, dcv, columns);
            });
            var dx = gb.Planned($"{Name}.dx", x.Shape);
            gb.Add($"{Name}.col2im", [dcols], [dx], r =>
            {
                BufferView dcv = r[dcols], dxv = r[dx];
                return () => backend.Col2Im(g, batch, dcv, dxv);
            });
            return dx;
        });
    }
}

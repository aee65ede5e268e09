using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

namespace GpuAe.Layers.Conv2D;

/// <summary>
/// 2-D convolution as im2col + one GEMM over the whole batch (Caffe's scheme, batched):
/// columns [C*KH*KW, N*OH*OW]; Y' = W·columns + b (fused bias+activation) in [OC, N, OH*OW];
/// then a swap of the two leading axes gives NCHW. Backward: dW = dY'·columnsᵀ, db = row sums of dY',
/// dcolumns = Wᵀ·dY', dx = col2im(dcolumns) (a gather, no atomics). W is [OC, C, KH, KW] as in PyTorch.
/// dW and db run on the side stream (<see cref="StepStream.Side"/>), beside dcolumns and col2im.
/// Rectangular kernels, per-axis strides and dilations and explicit (PyTorch) padding are all im2col geometry.
/// </summary>
internal sealed class Conv2DLayer : Layer
{
    private readonly ConvGeometry _geometry;
    private readonly int _filters;

    public Conv2DLayer(string name, Shape inputShape, int filters, int kernel, int stride, Padding padding, Activation activation)
        : this(name, inputShape, new Conv2DSpec(filters, kernel, activation, padding, stride))
    {
    }

    public Conv2DLayer(string name, Shape inputShape, Conv2DSpec spec) : base(name, inputShape)
    {
        const string kind = "conv2d";
        SpatialChecks.ImageInput(name, kind, inputShape);
        var o = spec.Options;
        SpatialChecks.AtLeast(name, kind, 1, ("filters", spec.Filters), ("kernel", o.Window.H), ("kernel_w", o.Window.W),
            ("stride", o.Stride.H), ("stride_w", o.Stride.W), ("dilation", o.Dilation.H), ("dilation_w", o.Dilation.W));
        SpatialChecks.AtLeast(name, kind, 0, ("pad", o.Pad.H), ("pad_w", o.Pad.W));
        SpatialChecks.ExplicitOnly(name, kind, spec.Padding, ("pad", spec.Pad), ("pad_w", spec.PadW));
        int c = inputShape[0], h = inputShape[1], w = inputShape[2];
        var (top, bottom) = PaddingMath.Amount(o.Padding, h, o.Window.H, o.Stride.H, o.Dilation.H, o.Pad.H);
        var (left, right) = PaddingMath.Amount(o.Padding, w, o.Window.W, o.Stride.W, o.Dilation.W, o.Pad.W);
        _geometry = new ConvGeometry(c, h, w, o.Window.H, o.Window.W, o.Stride.H, o.Stride.W, top, left, bottom, right, o.Dilation.H, o.Dilation.W);
        if (_geometry.OutHeight <= 0 || _geometry.OutWidth <= 0)
            throw new ModelSpecException(
                $"{name}: conv2d with {SpatialChecks.Describe(o)} does not fit input {inputShape} (output {_geometry.OutHeight}x{_geometry.OutWidth})");
        _filters = spec.Filters;
        Activation = spec.Activation;
        int window = o.Window.H * o.Window.W, fanIn = c * window, fanOut = spec.Filters * window;
        Parameters =
        [
            new ParameterDecl($"{name}.weight", new Shape(spec.Filters, c, o.Window.H, o.Window.W), new ParameterInit.GlorotUniform(fanIn, fanOut)),
            new ParameterDecl($"{name}.bias", new Shape(spec.Filters), new ParameterInit.Zeros()),
        ];
    }

    /// <summary>The im2col geometry (padding resolved), for readers such as exporters.</summary>
    internal ConvGeometry Geometry => _geometry;

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
        if (backend.PrefersDirectConvolution(g, filters)) return DirectForward(graph, x, w, b, batch);

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
    /// <summary>
    /// The direct path: one ConvForward (bias and activation in its epilogue, NCHW out, no column matrix); backward
    /// is ConvBackwardFilter (dW and db, on the side stream) and ConvBackwardData, both reading dy and y and applying
    /// the activation's derivative themselves, so no dz, column or CNHW buffer is planned.
    /// </summary>
    private LayerOutput DirectForward(GraphBuilder graph, Tensor x, ParameterTensors w, ParameterTensors b, int batch)
    {
        var g = _geometry;
        int filters = _filters;
        var backend = graph.Backend;
        var activation = Activation;
        var y = graph.Planned($"{Name}.y", new Shape(batch, filters, g.OutHeight, g.OutWidth));
        graph.Add($"{Name}.conv", [x, w.Value, b.Value], [y], r =>
        {
            BufferView xv = r[x], wv = r[w.Value], bv = r[b.Value], yv = r[y];
            return () => backend.ConvForward(g, batch, filters, xv, wv, bv, activation, yv);
        });

        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            gb.Add($"{Name}.filter_gradient", [x, y, dy], [w.Gradient, b.Gradient], r =>
            {
                BufferView xv = r[x], yv = r[y], dyv = r[dy], dwv = r[w.Gradient], dbv = r[b.Gradient];
                return () => backend.ConvBackwardFilter(g, batch, filters, activation, xv, yv, dyv, dwv, dbv);
            }, StepStream.Side);
            if (!needInputGradient) return null;
            var dx = gb.Planned($"{Name}.dx", x.Shape);
            gb.Add($"{Name}.data_gradient", [y, dy, w.Value], [dx], r =>
            {
                BufferView yv = r[y], dyv = r[dy], wv = r[w.Value], dxv = r[dx];
                return () => backend.ConvBackwardData(g, batch, filters, activation, yv, dyv, wv, dxv);
            });
            return dx;
        });
    }
}

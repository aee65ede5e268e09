using GpuAe.Backends;
using GpuAe.Graph;

namespace GpuAe.Layers.MaxPool2D;

/// <summary>Max pooling per channel plane; forward stores the argmax, backward gathers through it.</summary>
internal sealed class MaxPool2DLayer : Layer
{
    private readonly PoolGeometry _geometry;

    public MaxPool2DLayer(string name, Shape inputShape, int size, int stride, Padding padding) : base(name, inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ModelSpecException($"{name}: max-pool expects an image input [C, H, W] per sample, got {inputShape}");
        if (size <= 0 || stride <= 0) throw new ModelSpecException($"{name}: pool size and stride must be positive (got {size}, {stride})");
        var (top, bottom) = PaddingMath.Amount(padding, inputShape[1], size, stride);
        var (left, right) = PaddingMath.Amount(padding, inputShape[2], size, stride);
        _geometry = new PoolGeometry(inputShape[1], inputShape[2], size, size, stride, stride, top, left, bottom, right);
        if (_geometry.OutHeight <= 0 || _geometry.OutWidth <= 0)
            throw new ModelSpecException($"{name}: a {size}x{size} pool does not fit input {inputShape}");
    }

    public override Shape OutputShape => new(InputShape[0], _geometry.OutHeight, _geometry.OutWidth);

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        var g = _geometry;
        int planes = Batch(x) * InputShape[0];
        var backend = graph.Backend;
        var y = graph.Planned($"{Name}.y", OutputShape.WithBatch(Batch(x)));
        var argmax = graph.Planned($"{Name}.argmax", y.Shape, ElementType.Int32);
        graph.Add($"{Name}.forward", [x], [y, argmax], r =>
        {
            BufferView xv = r[x], yv = r[y], av = r[argmax];
            return () => backend.MaxPoolForward(g, planes, xv, yv, av);
        });
        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            if (!needInputGradient) return null;
            var dx = gb.Planned($"{Name}.dx", x.Shape);
            gb.Add($"{Name}.backward", [dy, argmax], [dx], r =>
            {
                BufferView dyv = r[dy], av = r[argmax], dxv = r[dx];
                return () => backend.MaxPoolBackward(g, planes, dyv, av, dxv);
            });
            return dx;
        });
    }
}

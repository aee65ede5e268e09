using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

namespace GpuAe.Layers.MaxPool2D;

/// <summary>Max pooling per channel plane; forward stores the argmax, backward gathers through it. Keras' "same"/"valid"
/// or PyTorch's MaxPool2d (explicit padding that never wins the max, ceil_mode): see <see cref="MaxPool2DSpec"/>.</summary>
internal sealed class MaxPool2DLayer : Layer
{
    private readonly PoolGeometry _geometry;

    public MaxPool2DLayer(string name, Shape inputShape, int size, int stride, Padding padding)
        : this(name, inputShape, new MaxPool2DSpec(size, padding, stride))
    {
    }

    public MaxPool2DLayer(string name, Shape inputShape, MaxPool2DSpec spec) : base(name, inputShape) =>
        _geometry = SpatialChecks.Pool(name, "maxpool2d", inputShape, spec.Options, spec.CeilMode == true, countPadding: true);

    /// <summary>The pooling geometry (padding and ceil mode resolved), for readers such as exporters.</summary>
    internal PoolGeometry Geometry => _geometry;

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

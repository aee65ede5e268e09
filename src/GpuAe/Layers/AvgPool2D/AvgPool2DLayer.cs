using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

namespace GpuAe.Layers.AvgPool2D;

/// <summary>Average pooling per channel plane (PyTorch's AvgPool2d or Keras' AveragePooling2D, see
/// <see cref="AvgPool2DSpec"/>); backward gathers dy / divisor from the windows covering each input.</summary>
internal sealed class AvgPool2DLayer : Layer
{
    private readonly PoolGeometry _geometry;

    public AvgPool2DLayer(string name, Shape inputShape, AvgPool2DSpec spec) : base(name, inputShape) =>
        _geometry = SpatialChecks.Pool(name, "avgpool2d", inputShape, spec.Options, spec.CeilMode == true, spec.CountsPadding);

    /// <summary>The pooling geometry (padding, ceil mode and divisor rule resolved), for readers such as exporters.</summary>
    internal PoolGeometry Geometry => _geometry;

    public override Shape OutputShape => new(InputShape[0], _geometry.OutHeight, _geometry.OutWidth);

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        var g = _geometry;
        int planes = Batch(x) * InputShape[0];
        var backend = graph.Backend;
        var y = graph.Planned($"{Name}.y", OutputShape.WithBatch(Batch(x)));
        graph.Add($"{Name}.forward", [x], [y], r =>
        {
            BufferView xv = r[x], yv = r[y];
            return () => backend.AvgPoolForward(g, planes, xv, yv);
        });
        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            if (!needInputGradient) return null;
            var dx = gb.Planned($"{Name}.dx", x.Shape);
            gb.Add($"{Name}.backward", [dy], [dx], r =>
            {
                BufferView dyv = r[dy], dxv = r[dx];
                return () => backend.AvgPoolBackward(g, planes, dyv, dxv);
            });
            return dx;
        });
    }
}

using GpuAe.Backends;
using GpuAe.Graph;

namespace GpuAe.Layers.UpSample2D;

/// <summary>Nearest-neighbour upsampling by an integer factor; backward sums each block (a gather).</summary>
internal sealed class UpSample2DLayer : Layer
{
    private readonly int _scale;

    public UpSample2DLayer(string name, Shape inputShape, int scale) : base(name, inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ModelSpecException($"{name}: upsample expects an image input [C, H, W] per sample, got {inputShape}");
        if (scale <= 0) throw new ModelSpecException($"{name}: upsample scale must be positive, got {scale}");
        _scale = scale;
    }

    public override Shape OutputShape => new(InputShape[0], InputShape[1] * _scale, InputShape[2] * _scale);

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        int planes = Batch(x) * InputShape[0], h = InputShape[1], w = InputShape[2], s = _scale;
        var backend = graph.Backend;
        var y = graph.Planned($"{Name}.y", OutputShape.WithBatch(Batch(x)));
        graph.Add($"{Name}.forward", [x], [y], r =>
        {
            BufferView xv = r[x], yv = r[y];
            return () => backend.UpsampleNearestForward(planes, h, w, s, s, xv, yv);
        });
        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            if (!needInputGradient) return null;
            var dx = gb.Planned($"{Name}.dx", x.Shape);
            gb.Add($"{Name}.backward", [dy], [dx], r =>
            {
                BufferView dyv = r[dy], dxv = r[dx];
                return () => backend.UpsampleNearestBackward(planes, h, w, s, s, dyv, dxv);
            });
            return dx;
        });
    }
}

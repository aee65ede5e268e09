using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

namespace GpuAe.Layers.UpSample2D;

/// <summary>Upsampling by integer factors: nearest neighbour (backward sums each block) or bilinear as PyTorch's
/// Upsample(mode="bilinear", align_corners) (backward gathers the weighted outputs). Both gathers, no atomics.</summary>
internal sealed class UpSample2DLayer : Layer
{
    private readonly int _scaleH, _scaleW;
    private readonly bool _alignCorners;

    public UpSample2DLayer(string name, Shape inputShape, int scale) : this(name, inputShape, new UpSample2DSpec(scale))
    {
    }

    public UpSample2DLayer(string name, Shape inputShape, UpSample2DSpec spec) : base(name, inputShape)
    {
        const string kind = "upsample2d";
        SpatialChecks.ImageInput(name, kind, inputShape);
        _scaleH = spec.Scale;
        _scaleW = spec.ScaleW ?? spec.Scale;
        SpatialChecks.AtLeast(name, kind, 1, ("scale", _scaleH), ("scale_w", _scaleW));
        Mode = spec.Mode ?? UpsampleMode.Nearest;
        if (spec.AlignCorners is not null && Mode != UpsampleMode.Bilinear)
            throw new ModelSpecException($"{name}: {kind} align_corners applies to mode \"bilinear\" only (mode is \"nearest\")");
        _alignCorners = spec.AlignCorners == true;
        long outH = (long)inputShape[1] * _scaleH, outW = (long)inputShape[2] * _scaleW;
        if (outH * outW * inputShape[0] > int.MaxValue)
            throw new ModelSpecException($"{name}: {kind} by {_scaleH}x{_scaleW} of input {inputShape} gives {inputShape[0]} x {outH} x {outW}, too large for one sample");
    }

    public UpsampleMode Mode { get; }

    public override Shape OutputShape => new(InputShape[0], InputShape[1] * _scaleH, InputShape[2] * _scaleW);

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        int planes = Batch(x) * InputShape[0], h = InputShape[1], w = InputShape[2], sh = _scaleH, sw = _scaleW;
        int oh = h * sh, ow = w * sw;
        bool bilinear = Mode == UpsampleMode.Bilinear, align = _alignCorners;
        var backend = graph.Backend;
        var y = graph.Planned($"{Name}.y", OutputShape.WithBatch(Batch(x)));
        graph.Add($"{Name}.forward", [x], [y], r =>
        {
            BufferView xv = r[x], yv = r[y];
            return bilinear
                ? () => backend.UpsampleBilinearForward(planes, h, w, oh, ow, align, xv, yv)
                : () => backend.UpsampleNearestForward(planes, h, w, sh, sw, xv, yv);
        });
        return new LayerOutput(y, (gb, dy, needInputGradient) =>
        {
            if (!needInputGradient) return null;
            var dx = gb.Planned($"{Name}.dx", x.Shape);
            gb.Add($"{Name}.backward", [dy], [dx], r =>
            {
                BufferView dyv = r[dy], dxv = r[dx];
                return bilinear
                    ? () => backend.UpsampleBilinearBackward(planes, h, w, oh, ow, align, dyv, dxv)
                    : () => backend.UpsampleNearestBackward(planes, h, w, sh, sw, dyv, dxv);
            });
            return dx;
        });
    }
}

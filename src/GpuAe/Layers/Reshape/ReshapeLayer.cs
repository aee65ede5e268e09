using GpuAe.Graph;

namespace GpuAe.Layers.Reshape;

/// <summary>Flatten / reshape: a view of the same memory (no kernel, no copy) in both directions.</summary>
internal sealed class ReshapeLayer : Layer
{
    public ReshapeLayer(string name, Shape inputShape, Shape outputShape) : base(name, inputShape)
    {
        if (inputShape.ElementCount != outputShape.ElementCount)
            throw new ModelSpecException($"{name}: cannot reshape {inputShape} ({inputShape.ElementCount} values) to {outputShape} ({outputShape.ElementCount} values)");
        OutputShape = outputShape;
    }

    public override Shape OutputShape { get; }

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        var y = graph.Alias(x, OutputShape.WithBatch(Batch(x)), $"{Name}.y");
        return new LayerOutput(y, (g, dy, needInputGradient) =>
            needInputGradient ? g.Alias(dy, x.Shape, $"{Name}.dx") : null);
    }
}

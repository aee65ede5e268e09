using GpuAe.Backends;
using GpuAe.Graph;

namespace GpuAe.Layers;

/// <summary>How a parameter starts: Glorot-uniform (Keras' default for Dense and Conv2D) or zeros.</summary>
internal abstract record ParameterInit
{
    public sealed record GlorotUniform(int FanIn, int FanOut) : ParameterInit;
    public sealed record Zeros : ParameterInit;
}

/// <summary>A trainable tensor a layer declares; the parameter store gives it a slice of the flat buffer.</summary>
internal sealed record ParameterDecl(string Name, Shape Shape, ParameterInit Init);

/// <summary>A parameter's value and gradient as graph tensors of the plan being built.</summary>
internal readonly record struct ParameterTensors(Tensor Value, Tensor Gradient);

/// <summary>Gives a layer its parameters' tensors inside a graph under construction.</summary>
internal interface IParameterSource
{
    ParameterTensors Get(GraphBuilder graph, string name);
}

/// <summary>
/// The gradient rule a layer leaves behind when it emits its forward steps: given dL/dy it appends the
/// steps computing the parameter gradients (overwriting them) and returns dL/dx when asked for it.
/// </summary>
internal delegate Tensor? BackwardRule(GraphBuilder graph, Tensor outputGradient, bool needInputGradient);

/// <summary>A layer's forward output and its gradient rule (null for layers without one).</summary>
internal readonly record struct LayerOutput(Tensor Output, BackwardRule? Backward);

/// <summary>
/// A layer of the model: shapes inferred at construction (per sample, without the batch axis), its
/// parameters declared, and its forward steps and reverse-mode rule emitted into a graph on demand.
/// </summary>
internal abstract class Layer
{
    protected Layer(string name, Shape inputShape)
    {
        Name = name;
        InputShape = inputShape;
    }

    public string Name { get; }
    public Shape InputShape { get; }
    public abstract Shape OutputShape { get; }
    public virtual IReadOnlyList<ParameterDecl> Parameters => [];

    /// <summary>Emits the forward steps for input <paramref name="x"/> of shape [batch, ..InputShape].</summary>
    public abstract LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters);

    protected static int Batch(Tensor x) => x.Shape[0];

    /// <summary>Emits dx = dy * f'(y) for a fused activation (fixed parameters; nothing for linear).</summary>
    protected static Tensor ActivationGradient(GraphBuilder graph, string name, Activation activation, Tensor y, Tensor dy)
    {
        if (activation == Activation.Linear) return dy;
        var dz = graph.Planned($"{name}.dz", dy.Shape);
        graph.Add($"{name}.activation_backward", [y, dy], [dz], r =>
        {
            BufferView yv = r[y], dyv = r[dy], dzv = r[dz];
            var backend = graph.Backend;
            return () => backend.ActivationBackward(activation, ActivationParameters.Default, yv, dyv, dzv);
        });
        return dz;
    }

    /// <summary>[a, b, inner] -> [b, a, inner]; when a or b is 1 both layouts are the same memory, so a view suffices.</summary>
    protected static Tensor SwapLeading(GraphBuilder graph, string name, Tensor source, int a, int b, int inner, Shape shape)
    {
        if (a == 1 || b == 1) return graph.Alias(source, shape, name);
        var destination = graph.Planned(name, shape);
        var backend = graph.Backend;
        graph.Add(name, [source], [destination], r =>
        {
            BufferView sv = r[source], dv = r[destination];
            return () => backend.SwapLeadingAxes(a, b, inner, sv, dv);
        });
        return destination;
    }
}

using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

// GpuAe.Layers, not GpuAe.Layers.Activation: a namespace of that name would hide the Activation enum from every layer.
namespace GpuAe.Layers;

/// <summary>
/// A standalone pointwise activation with its parameters (PyTorch's nn.ReLU, nn.LeakyReLU, nn.ELU, nn.Sigmoid, nn.Tanh,
/// nn.Softplus modules): y = f(x) over any shape; backward dx = dy·f'(x) written through y. No parameters to train.
/// </summary>
internal sealed class ActivationLayer : Layer
{
    public ActivationLayer(string name, Shape inputShape, Activation activation, ActivationParameters parameters) : base(name, inputShape)
    {
        if (!Enum.IsDefined(activation)) throw new ModelSpecException($"{name}: unknown activation {(int)activation}");
        if (parameters.Problem() is { } problem) throw new ModelSpecException($"{name}: {problem}");
        Activation = activation;
        ActivationParameters = parameters;
    }

    /// <summary>The layer of an <see cref="ActivationSpec"/>; a parameter given to another activation is an error.</summary>
    public static ActivationLayer FromSpec(string name, Shape inputShape, ActivationSpec spec)
    {
        if (spec.Problem() is { } problem) throw new ModelSpecException($"{name}: {problem}");
        return new ActivationLayer(name, inputShape, spec.Activation, spec.Parameters);
    }

    public Activation Activation { get; }
    public ActivationParameters ActivationParameters { get; }
    public override Shape OutputShape => InputShape;

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        var activation = Activation;
        var p = ActivationParameters;
        var backend = graph.Backend;
        var y = graph.Planned($"{Name}.y", x.Shape);
        graph.Add($"{Name}.forward", [x], [y], r =>
        {
            BufferView xv = r[x], yv = r[y];
            return () => backend.ActivationForward(activation, p, xv, yv);
        });
        return new LayerOutput(y, (g, dy, needInputGradient) =>
        {
            if (!needInputGradient) return null;
            var dx = g.Planned($"{Name}.dx", x.Shape);
            g.Add($"{Name}.backward", [y, dy], [dx], r =>
            {
                BufferView yv = r[y], dyv = r[dy], dxv = r[dx];
                return () => backend.ActivationBackward(activation, p, yv, dyv, dxv);
            });
            return dx;
        });
    }
}

using GpuAe.Backends;
using GpuAe.Graph;

namespace GpuAe.Layers.Dense;

/// <summary>
/// y = act(x Wᵀ + b) with W stored [out, in] (PyTorch's nn.Linear layout), as one GEMM with a fused
/// bias+activation epilogue. Backward: dz = dy*f'(y) and db = Σ_rows dz in one launch (db alone for a linear
/// layer); dW = dzᵀ x; dx = dz W. dW (and a linear layer's db) run on the side stream (<see cref="StepStream.Side"/>): only the optimizer reads them, so they
/// overlap the dx chain on a backend with two streams.
/// </summary>
internal sealed class DenseLayer : Layer
{
    private readonly int _inputs, _units;

    public DenseLayer(string name, Shape inputShape, int units, Activation activation) : base(name, inputShape)
    {
        if (inputShape.Rank != 1)
            throw new ModelSpecException($"{name}: dense expects a flat input [features] per sample, got {inputShape} (add a flatten layer)");
        if (units <= 0) throw new ModelSpecException($"{name}: dense needs at least one unit, got {units}");
        _inputs = inputShape[0];
        _units = units;
        Activation = activation;
        Parameters =
        [
            new ParameterDecl($"{name}.weight", new Shape(units, _inputs), new ParameterInit.GlorotUniform(_inputs, units)),
            new ParameterDecl($"{name}.bias", new Shape(units), new ParameterInit.Zeros()),
        ];
    }

    public Activation Activation { get; }
    public override Shape OutputShape => new(_units);
    public override IReadOnlyList<ParameterDecl> Parameters { get; }

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters)
    {
        int batch = Batch(x), inputs = _inputs, units = _units;
        var w = parameters.Get(graph, Parameters[0].Name);
        var b = parameters.Get(graph, Parameters[1].Name);
        var y = graph.Planned($"{Name}.y", new Shape(batch, units));
        var activation = Activation;
        var backend = graph.Backend;
        graph.Add($"{Name}.gemm", [x, w.Value, b.Value], [y], r =>
        {
            BufferView xv = r[x], wv = r[w.Value], bv = r[b.Value], yv = r[y];
            return () => backend.Gemm(Transpose.No, Transpose.Yes, batch, units, inputs, 1f, xv, inputs, wv, inputs,
                0f, yv, units, BiasMode.PerColumn, bv, activation);
        });

        return new LayerOutput(y, (g, dy, needInputGradient) =>
        {
            var dz = dy;
            if (activation == Activation.Linear)
                g.Add($"{Name}.bias_gradient", [dz], [b.Gradient], r =>
                {
                    BufferView dzv = r[dz], dbv = r[b.Gradient];
                    return () => backend.BiasGradient(BiasMode.PerColumn, batch, units, dzv, dbv, accumulate: false);
                }, StepStream.Side);
            else
            {
                // dz and db in one launch (one pass over dy): on the main stream, since the dx GEMM reads dz
                dz = g.Planned($"{Name}.dz", dy.Shape);
                g.Add($"{Name}.activation_backward_bias", [y, dy], [dz, b.Gradient], r =>
                {
                    BufferView yv = r[y], dyv = r[dy], dzv = r[dz], dbv = r[b.Gradient];
                    return () => backend.ActivationBackwardBias(activation, batch, units, yv, dyv, dzv, dbv);
                });
            }
            g.Add($"{Name}.weight_gradient", [dz, x], [w.Gradient], r =>
            {
                BufferView dzv = r[dz], xv = r[x], dwv = r[w.Gradient];
                return () => backend.Gemm(Transpose.Yes, Transpose.No, units, inputs, batch, 1f, dzv, units, xv, inputs, 0f, dwv, inputs);
            }, StepStream.Side);
            if (!needInputGradient) return null;
            var dx = g.Planned($"{Name}.dx", x.Shape);
            g.Add($"{Name}.input_gradient", [dz, w.Value], [dx], r =>
            {
                BufferView dzv = r[dz], wv = r[w.Value], dxv = r[dx];
                return () => backend.Gemm(Transpose.No, Transpose.No, batch, inputs, units, 1f, dzv, units, wv, inputs, 0f, dxv, inputs);
            });
            return dx;
        });
    }
}

using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Training;

namespace GpuAe.Layers.Dense;

/// <summary>
/// y = act(x Wᵀ + b) with W stored [out, in] (PyTorch's nn.Linear layout), as one GEMM with a fused
/// bias+activation epilogue. Backward, with dz = dy*f'(y) never stored (<see cref="IBackend.GemmActivationGradient"/>
/// forms it on the GEMMs' A loads): dW = dzᵀ x with db = Σ_rows dz from the same launch, and dx = dz W. So a layer's
/// backward is two launches (one for the first layer, which needs no dx). dW and db run on the side stream
/// (<see cref="StepStream.Side"/>): only the optimizer reads them, so they overlap the dx chain on a backend with two streams.
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

    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters) => BuildForward(graph, x, parameters, null);

    /// <summary>
    /// <see cref="Forward"/> for the layer that reads the plan's batch first (x is the gathered input or a view of it,
    /// nothing in between): one launch gathers the batch on the GEMM's A loads straight from the resident data set
    /// (<see cref="IBackend.GemmGatherRows"/>) and also writes it to x (the loss target, the dW GEMM's operand), in
    /// place of the plan's gather_batch step. Samples staged in batch order (<see cref="PlanInputs.Samples"/>) are
    /// copied to x first, as gather_batch does.
    /// </summary>
    internal LayerOutput ForwardGathering(GraphBuilder graph, Tensor x, IParameterSource parameters, PlanInputs inputs) =>
        BuildForward(graph, x, parameters, inputs);

    private LayerOutput BuildForward(GraphBuilder graph, Tensor x, IParameterSource parameters, PlanInputs? gatherFrom)
    {
        int batch = Batch(x), inputs = _inputs, units = _units;
        var w = parameters.Get(graph, Parameters[0].Name);
        var b = parameters.Get(graph, Parameters[1].Name);
        var y = graph.Planned($"{Name}.y", new Shape(batch, units));
        var activation = Activation;
        var backend = graph.Backend;
        if (gatherFrom is { } source)
            graph.Add($"{Name}.gather_gemm", [w.Value, b.Value], [x, y], r =>
            {
                BufferView xv = r[x], wv = r[w.Value], bv = r[b.Value], yv = r[y];
                return () =>
                {
                    if (source.Samples is { } samples)
                    {
                        backend.Copy(samples.Slice((long)source.Start * inputs, (long)batch * inputs), xv);
                        backend.Gemm(Transpose.No, Transpose.Yes, batch, units, inputs, 1f, xv, inputs, wv, inputs,
                            0f, yv, units, BiasMode.PerColumn, bv, activation);
                    }
                    else
                        backend.GemmGatherRows(Transpose.Yes, batch, units, inputs, source.Images, source.Order.Slice(source.Start, batch),
                            xv, wv, inputs, yv, units, BiasMode.PerColumn, bv, activation);
                };
            });
        else
            graph.Add($"{Name}.gemm", [x, w.Value, b.Value], [y], r =>
            {
                BufferView xv = r[x], wv = r[w.Value], bv = r[b.Value], yv = r[y];
                return () => backend.Gemm(Transpose.No, Transpose.Yes, batch, units, inputs, 1f, xv, inputs, wv, inputs,
                    0f, yv, units, BiasMode.PerColumn, bv, activation);
            });

        return new LayerOutput(y, (g, dy, needInputGradient) =>
        {
            // Two GEMMs that read dy and y (GemmActivationGradient): dz = dy*f'(y) is formed on A's loads, so there is
            // no dz buffer and no activation launch. dW = dzᵀ x also gives db (the row sums of dzᵀ it loads anyway);
            // it runs on the side stream, since only the optimizer reads dW and db.
            // a linear layer's GEMMs do not read y: not listing it lets its memory go back to the planner after the forward pass
            bool readsY = activation != Activation.Linear;
            g.Add($"{Name}.weight_gradient", readsY ? [y, dy, x] : [dy, x], [w.Gradient, b.Gradient], r =>
            {
                BufferView yv = readsY ? r[y] : default, dyv = r[dy], xv = r[x], dwv = r[w.Gradient], dbv = r[b.Gradient];
                return () => backend.GemmActivationGradient(Transpose.Yes, Transpose.No, units, inputs, batch, activation,
                    yv, dyv, units, xv, inputs, dwv, inputs, dbv);
            }, StepStream.Side);
            if (!needInputGradient) return null;
            var dx = g.Planned($"{Name}.dx", x.Shape);
            g.Add($"{Name}.input_gradient", readsY ? [y, dy, w.Value] : [dy, w.Value], [dx], r =>
            {
                BufferView yv = readsY ? r[y] : default, dyv = r[dy], wv = r[w.Value], dxv = r[dx];
                return () => backend.GemmActivationGradient(Transpose.No, Transpose.No, batch, inputs, units, activation,
                    yv, dyv, units, wv, inputs, dxv, inputs);
            });
            return dx;
        });
    }
}

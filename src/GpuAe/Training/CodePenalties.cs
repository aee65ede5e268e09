using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.Dense;
using GpuAe.Models;

namespace GpuAe.Training;

/// <summary>
/// The model's penalties on the code (<see cref="ModelSpec.Penalties"/>): checked against the built layers, and woven
/// into train and gradient plans by wrapping the code layer's backward rule. Before the rule runs, each penalty adds
/// its value to the training loss and its ∂P/∂h to the code's gradient (so the layer's own rule carries it through the
/// activation to W, b and x); after it — the weight-gradient GEMM overwrites dW — the contractive penalty adds its
/// direct ∂P/∂W. Evaluation plans leave the penalties out: the validation loss is the reconstruction loss alone.
/// </summary>
internal static class CodePenalties
{
    public static void Validate(ModelSpec spec, IReadOnlyList<Layer> layers)
    {
        if (spec.Penalties.Count == 0) return;
        string code = $"{spec.Name}: code layer {spec.CodeLayer} ({Describe(spec.Layers[spec.CodeLayer])})";
        int outputLayer = Array.FindLastIndex(spec.Layers.ToArray(), l => l is DenseSpec or Conv2DSpec);
        if (spec.CodeLayer >= outputLayer)
            throw new ModelSpecException($"{code} is the output layer; a penalty on the code needs a bottleneck below the reconstruction");
        int firstTrainable = layers.ToList().FindIndex(l => l.Parameters.Count > 0);
        if (firstTrainable < 0 || spec.CodeLayer < firstTrainable)
            throw new ModelSpecException($"{code} has no layer with parameters at or below it, so a penalty on it could not train anything");
        foreach (var penalty in spec.Penalties)
        {
            penalty.Validate(spec.Name);
            switch (penalty)
            {
                case ActivityPenaltySpec { Kind: ActivityPenaltyKind.KlSparsity }:
                    var activation = CodeActivation(spec);
                    if (activation != Activation.Sigmoid)
                        throw new ModelSpecException(
                            $"{code}: kl sparsity needs a sigmoid code (activations in (0, 1)), the code comes from {(activation is { } a ? $"a {Name(a)} layer" : "no dense or conv layer")}");
                    break;
                case ContractivePenaltySpec:
                    if (spec.Layers[spec.CodeLayer] is not DenseSpec dense)
                        throw new ModelSpecException($"{code}: the contractive penalty has a closed form for a dense code layer only");
                    if (dense.Activation is not (Activation.Sigmoid or Activation.Relu))
                        throw new ModelSpecException($"{code}: the contractive penalty needs a sigmoid or relu code layer, got {Name(dense.Activation)}");
                    break;
            }
        }
    }

    /// <summary>The code layer's backward rule with the penalties' steps around it.</summary>
    public static BackwardRule Wrap(BackwardRule rule, Network network, Tensor code, Tensor trainLoss)
    {
        var penalties = network.Spec.Penalties;
        var layer = network.Layers[network.Spec.CodeLayer];
        int batch = code.Shape[0], units = (int)(code.Length / batch);
        return (g, dy, needInputGradient) =>
        {
            var backend = g.Backend;
            foreach (var penalty in penalties)
            {
                switch (penalty)
                {
                    case ActivityPenaltySpec a:
                        g.Add($"{layer.Name}.{Step(a)}", [code, dy], [dy, trainLoss], r =>
                        {
                            BufferView hv = r[code], dv = r[dy], lv = r[trainLoss];
                            float rho = a.Rho ?? 0f;
                            return () => backend.ActivityPenalty(a.Kind, batch, units, hv, a.Weight, rho, lv, dv);
                        });
                        break;
                    case ContractivePenaltySpec c:
                        var dense = (DenseLayer)layer;
                        var w = network.Parameters.Get(g, dense.Parameters[0].Name);
                        int inputs = dense.InputShape[0];
                        // relu: ∂P/∂h is 0 almost everywhere, so only the loss and the direct dW term remain
                        bool hasDh = dense.Activation == Activation.Sigmoid;
                        g.Add($"{layer.Name}.contractive_penalty", [code, w.Value, dy], [dy, trainLoss], r =>
                        {
                            BufferView hv = r[code], wv = r[w.Value], dv = r[dy], lv = r[trainLoss];
                            return () => backend.ContractivePenalty(dense.Activation, batch, units, inputs, hv, wv, c.Weight, lv, hasDh ? dv : null, null);
                        });
                        break;
                }
            }
            var dx = rule(g, dy, needInputGradient);
            foreach (var c in penalties.OfType<ContractivePenaltySpec>())
            {
                var dense = (DenseLayer)layer;
                var w = network.Parameters.Get(g, dense.Parameters[0].Name);
                int inputs = dense.InputShape[0];
                g.Add($"{layer.Name}.contractive_weight_gradient", [code, w.Value], [w.Gradient], r =>
                {
                    BufferView hv = r[code], wv = r[w.Value], dwv = r[w.Gradient];
                    return () => backend.ContractivePenalty(dense.Activation, batch, units, inputs, hv, wv, c.Weight, null, null, dwv);
                }, StepStream.Side);   // like the layer's dW GEMM (on the side stream before it): only the optimizer reads it
            }
            return dx;
        };
    }

    /// <summary>The activation behind the code: the code layer's own, or for a pool/upsample/reshape code the layer below it.</summary>
    private static Activation? CodeActivation(ModelSpec spec)
    {
        for (int i = spec.CodeLayer; i >= 0; i--)
            switch (spec.Layers[i])
            {
                case DenseSpec d: return d.Activation;
                case Conv2DSpec c: return c.Activation;
            }
        return null;
    }

    private static string Step(ActivityPenaltySpec a) => a.Kind == ActivityPenaltyKind.L1 ? "l1_activity_penalty" : "kl_sparsity_penalty";
    private static string Name(Activation a) => a.ToString().ToLowerInvariant();

    private static string Describe(LayerSpec layer) => layer switch
    {
        DenseSpec d => $"dense {d.Units} {Name(d.Activation)}",
        Conv2DSpec c => $"conv2d {c.Filters} {Name(c.Activation)}",
        _ => layer.GetType().Name.Replace("Spec", "").ToLowerInvariant(),
    };
}

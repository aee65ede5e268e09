using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers.Dense;

namespace GpuAe.Layers.VaeLatent;

/// <summary>
/// Where a plan's VAE samples come from and where the KL term goes. <see cref="DrawEpsilon"/> fills ε
/// (standard normal) at run time; <see cref="KlScale"/> = beta/batch in training (per-image mean), beta in
/// evaluation (the host divides by the sample count). <see cref="Training"/> plans get the fused
/// backward (gradients + KL); evaluation plans add the KL value alone.
/// </summary>
internal sealed record VaeSampling(Action<BufferView> DrawEpsilon, Tensor Loss, float KlScale, bool Training);

/// <summary>
/// The Gaussian latent of a variational autoencoder (Kingma &amp; Welling 2014, as the PyTorch examples VAE):
/// two linear heads μ = x W_μᵀ + b_μ and logσ² = x W_σᵀ + b_σ, then z = μ + exp(logσ²/2)·ε with ε ~ N(0, 1).
/// Backward: one fused kernel gives dμ and dlogσ² with beta·KL's gradient and the KL value; the heads'
/// input gradients are summed. The code of a VAE (what `gpuae encode` writes) is μ.
/// </summary>
internal sealed class VaeLatentLayer : Layer
{
    private readonly DenseLayer _mean, _logVar;

    public VaeLatentLayer(string name, Shape inputShape, int units, float beta) : base(name, inputShape)
    {
        if (inputShape.Rank != 1)
            throw new ModelSpecException($"{name}: vae_latent expects a flat input [features] per sample, got {inputShape} (add a flatten layer)");
        if (units <= 0) throw new ModelSpecException($"{name}: vae_latent needs at least one latent unit, got {units}");
        if (!float.IsFinite(beta) || beta < 0)
            throw new ModelSpecException($"{name}: vae_latent beta (the KL weight) must be a finite number >= 0, got {beta}");
        Units = units;
        Beta = beta;
        _mean = new DenseLayer($"{name}.mean", inputShape, units, Activation.Linear);
        _logVar = new DenseLayer($"{name}.log_var", inputShape, units, Activation.Linear);
        Parameters = [.. _mean.Parameters, .. _logVar.Parameters];
    }

    public int Units { get; }
    public float Beta { get; }
    public override Shape OutputShape => new(Units);
    public override IReadOnlyList<ParameterDecl> Parameters { get; }

    /// <summary>Without a sampling context the layer is its mean: z = μ (deterministic, no KL term).</summary>
    public override LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters) => _mean.Forward(graph, x, parameters);

    /// <summary>Emits μ, logσ², ε and z; <paramref name="mean"/> is μ (the code).</summary>
    public LayerOutput Forward(GraphBuilder graph, Tensor x, IParameterSource parameters, VaeSampling sampling, out Tensor mean)
    {
        var meanOut = _mean.Forward(graph, x, parameters);
        var logVarOut = _logVar.Forward(graph, x, parameters);
        Tensor mu = meanOut.Output, logVar = logVarOut.Output;
        mean = mu;
        var shape = mu.Shape;
        var backend = graph.Backend;
        var eps = graph.Planned($"{Name}.epsilon", shape);
        var draw = sampling.DrawEpsilon;
        graph.Add($"{Name}.epsilon", [], [eps], r =>
        {
            var ev = r[eps];
            return () => draw(ev);
        });
        var z = graph.Planned($"{Name}.z", shape);
        graph.Add($"{Name}.reparameterize", [mu, logVar, eps], [z], r =>
        {
            BufferView mv = r[mu], lv = r[logVar], ev = r[eps], zv = r[z];
            return () => backend.VaeReparameterizeForward(mv, lv, ev, zv);
        });
        var loss = sampling.Loss;
        float klScale = sampling.KlScale;
        if (!sampling.Training)
        {
            graph.Add($"{Name}.kl", [mu, logVar, eps], [loss], r =>
            {
                BufferView mv = r[mu], lv = r[logVar], ev = r[eps], lossView = r[loss];
                return () => backend.VaeReparameterizeBackward(mv, lv, ev, klScale, lossView, accumulateLoss: true, null);
            });
            return new LayerOutput(z, null);
        }

        return new LayerOutput(z, (g, dz, needInputGradient) =>
        {
            var dMean = g.Planned($"{Name}.mean.dy", shape);
            var dLogVar = g.Planned($"{Name}.log_var.dy", shape);
            g.Add($"{Name}.reparameterize_backward", [mu, logVar, eps, dz], [dMean, dLogVar, loss], r =>
            {
                BufferView mv = r[mu], lv = r[logVar], ev = r[eps], lossView = r[loss];
                var gradients = new VaeGradients(r[dz], r[dMean], r[dLogVar]);
                return () => backend.VaeReparameterizeBackward(mv, lv, ev, klScale, lossView, accumulateLoss: true, gradients);
            });
            var dxMean = meanOut.Backward!(g, dMean, needInputGradient);
            var dxLogVar = logVarOut.Backward!(g, dLogVar, needInputGradient);
            if (!needInputGradient) return null;
            g.Add($"{Name}.input_gradient_sum", [dxLogVar!, dxMean!], [dxMean!], r =>
            {
                BufferView a = r[dxLogVar!], b = r[dxMean!];
                return () => backend.Axpy(1f, a, b);
            });
            return dxMean;
        });
    }
}

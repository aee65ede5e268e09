using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers.VaeLatent;

namespace GpuAe.Tests.Autodiff;

/// <summary>
/// The VAE latent's rule (two linear heads, z = μ + exp(logσ²/2)·ε, backward fused with klScale·KL) against
/// central differences in float64 of L = Σ (z - t)² + klScale·KL, with ε fixed per run (a Philox stream).
/// </summary>
public class VaeGradientTests
{
    private static GradientChecker.Forward Sampled(float klScale) => (g, layer, x, parameters, loss) =>
    {
        var backend = g.Backend;
        var sampling = new VaeSampling(eps => backend.Random(RandomDistribution.Normal, 99, 3, eps), loss, klScale, Training: true);
        return ((VaeLatentLayer)layer).Forward(g, x, parameters, sampling, out _);
    };

    [Theory]
    [InlineData(7, 5, 3, 1f)]      // odd shapes, the per-image scale of beta 1 with batch 3 is 1/3 below
    [InlineData(13, 1, 2, 0.5f)]   // a 1-D latent
    [InlineData(1, 2, 1, 1f)]      // one input, one sample
    [InlineData(11, 3, 4, 0f)]     // beta 0: the plain reparameterized autoencoder
    public void Reparameterization_and_kl(int inputs, int units, int batch, float beta) =>
        GradientChecker.CheckLayer(s => new VaeLatentLayer("latent", s, units, beta), new Shape(inputs), batch,
            forward: Sampled(beta / batch));

    [Fact]
    public void A_large_kl_weight_is_checked_too() =>
        GradientChecker.CheckLayer(s => new VaeLatentLayer("latent", s, 4, 3f), new Shape(6), batch: 2, seed: 7, forward: Sampled(5f));
}

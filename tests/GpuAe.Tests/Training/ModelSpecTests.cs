using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Layers;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

public class ModelSpecTests
{
    [Theory]
    [MemberData(nameof(Graph.MemoryPlannerTests.Models), MemberType = typeof(Graph.MemoryPlannerTests))]
    public void Every_preset_round_trips_through_json_and_builds(string name)
    {
        var spec = Presets.Get(name).Model;
        var back = ModelSpec.FromJson(spec.ToJson());
        Assert.Equal(spec.ToJson(), back.ToJson());
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, back);
        Assert.Equal(784, network.SampleSize);
    }

    [Fact]
    public void Conv_preset_has_the_keras_blog_shapes()
    {
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, Presets.Get("conv").Model);
        Assert.Equal("[8, 4, 4]", network.CodeShape.ToString());
        Assert.Equal(["[16, 28, 28]", "[16, 14, 14]", "[8, 14, 14]", "[8, 7, 7]", "[8, 7, 7]", "[8, 4, 4]",
                      "[8, 4, 4]", "[8, 8, 8]", "[8, 8, 8]", "[8, 16, 16]", "[16, 14, 14]", "[16, 28, 28]", "[1, 28, 28]"],
            network.Layers.Select(l => l.OutputShape.ToString()));
        Assert.Equal(4385, network.Parameters.Count); // the Keras blog model summary: 4,385 parameters
    }

    public static TheoryData<string, ModelSpec> Broken => new()
    {
        { "binary cross-entropy needs a sigmoid output layer, the last layer has relu",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(32, Activation.Relu).Code().Dense(784, Activation.Relu).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "dense expects a flat input [features] per sample, got [1, 28, 28] (add a flatten layer)",
            new ModelBuilder("m", 1, 28, 28).Dense(32, Activation.Relu).Code().Build(ReconstructionLoss.MeanSquaredError) },
        { "the output [32] has 32 values but the input [1, 28, 28] has 784; an autoencoder must reconstruct its input",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(32, Activation.Relu).Code().Build(ReconstructionLoss.MeanSquaredError) },
        { "conv2d expects an image input [C, H, W] per sample, got [784]",
            new ModelBuilder("m", 1, 28, 28).Flatten().Conv2D(4, 3, Activation.Relu).Code().Build(ReconstructionLoss.MeanSquaredError) },
        { "layers.0: conv2d with kernel 5x5, stride 1x1, padding \"valid\" does not fit input [1, 3, 3] (output -1x-1)",
            new ModelBuilder("m", 1, 3, 3).Conv2D(4, 5, Activation.Relu, Padding.Valid).Code().Build(ReconstructionLoss.MeanSquaredError) },
        { "cannot reshape [784] ([784] values) to [5, 5] ([25] values)".Replace("[784] values", "784 values").Replace("[25] values", "25 values"),
            new ModelBuilder("m", 1, 28, 28).Flatten().Code().Reshape(5, 5).Build(ReconstructionLoss.MeanSquaredError) },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Impossible_models_fail_with_a_clear_message(string expected, ModelSpec spec)
    {
        using var backend = new CpuBackend("managed");
        var error = Assert.Throws<ModelSpecException>(() => new Network(backend, spec));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Unknown_preset_lists_the_known_ones()
    {
        var error = Assert.Throws<ModelSpecException>(() => Presets.Get("dense64"));
        Assert.Contains("dense32, deep, mlp256", error.Message);
    }

    [Fact]
    public void Code_must_be_marked() =>
        Assert.Throws<ModelSpecException>(() => new ModelBuilder("m", 1, 28, 28).Flatten().Build(ReconstructionLoss.MeanSquaredError));
}

/// <summary>The VAE's spec: JSON round trip (beta included), its shapes and parameter count, and the checks on bad specs.</summary>
public class VaeSpecTests
{
    [Fact]
    public void Vae_spec_round_trips_with_its_beta_and_has_the_pytorch_parameter_count()
    {
        var spec = Presets.Variational("beta-vae", 400, 20, beta: 4f);
        var json = spec.ToJson();
        Assert.Contains("\"type\":\"vae_latent\",\"units\":20,\"beta\":4", json);
        var back = ModelSpec.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(4f, back.Layers.OfType<VaeLatentSpec>().Single().Beta);
        Assert.True(back.LossPerImage);
        Assert.False(Presets.Get("dense32").Model.LossPerImage);

        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, back);
        Assert.Equal("[20]", network.CodeShape.ToString());
        // PyTorch's VAE: fc1 784x400, fc21 and fc22 400x20, fc3 20x400, fc4 400x784, with biases
        Assert.Equal(784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784, network.Parameters.Count);
    }

    public static TheoryData<string, ModelSpec> Broken => new()
    {
        { "layers.2: vae_latent needs at least one latent unit, got 0",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(8, Activation.Relu).VaeLatent(0).Code().Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "layers.2: vae_latent beta (the KL weight) must be a finite number >= 0, got -1",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(8, Activation.Relu).VaeLatent(2, -1f).Code().Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "layers.2: vae_latent beta (the KL weight) must be a finite number >= 0, got NaN",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(8, Activation.Relu).VaeLatent(2, float.NaN).Code().Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "layers.0: vae_latent expects a flat input [features] per sample, got [1, 28, 28] (add a flatten layer)",
            new ModelBuilder("m", 1, 28, 28).VaeLatent(2).Code().Flatten().Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "m: a model can have one vae_latent layer, found layers.1 and layers.2",
            new ModelBuilder("m", 1, 28, 28).Flatten().VaeLatent(8).VaeLatent(2).Code().Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "m: the code of a VAE is its latent mean, so the code layer must be the vae_latent layer (layers.2), not layers.1",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(8, Activation.Relu).Code().VaeLatent(2).Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) },
        { "m: the vae_latent layer (layers.1) needs a decoder after it (a dense or conv2d layer)",
            new ModelBuilder("m", 1, 28, 28).Flatten().VaeLatent(784).Code().Build(ReconstructionLoss.MeanSquaredError) },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Bad_vae_specs_fail_with_a_clear_message(string expected, ModelSpec spec)
    {
        using var backend = new CpuBackend("managed");
        var error = Assert.Throws<ModelSpecException>(() => new Network(backend, spec));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Vae_presets_are_listed()
    {
        Assert.Contains("vae", Presets.Names);
        Assert.Contains("vae2d", Presets.Names);
        Assert.Equal(2, Presets.Get("vae2d").Model.Layers.OfType<VaeLatentSpec>().Single().Units);
        Assert.Equal((OptimizerKind.Adam, 1e-3f, 128, 10), (Presets.Get("vae").Recipe.Optimizer, Presets.Get("vae").Recipe.LearningRate,
            Presets.Get("vae").Recipe.BatchSize, Presets.Get("vae").Recipe.Epochs));
    }

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.05, -1.6448536269514729)]
    [InlineData(0.001, -3.090232306167813)]
    public void Normal_quantiles(double p, double x) => Assert.Equal(x, NormalDistribution.Quantile(p), 7);
}

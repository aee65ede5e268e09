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
        { "a 5x5 'valid' convolution does not fit input [1, 3, 3]",
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

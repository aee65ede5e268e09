using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>Penalties in the model spec: JSON round trip, the builder API, and clear errors for impossible specs.</summary>
public class PenaltySpecTests
{
    [Fact]
    public void Penalties_round_trip_through_json()
    {
        var spec = new ModelBuilder("both", 1, 28, 28).Flatten().Dense(64, Activation.Sigmoid).Code().Dense(784, Activation.Sigmoid)
            .Reshape(1, 28, 28).KlSparsity(0.05f, 3f).Contractive(1e-3f).L1Activity(1e-4f).Build(ReconstructionLoss.BinaryCrossEntropy);
        string json = spec.ToJson();
        Assert.Contains("\"penalties\":[{\"type\":\"activity\",\"kind\":\"kl_sparsity\",\"weight\":3,\"rho\":0.05}", json);
        Assert.Contains("{\"type\":\"contractive\",\"weight\":0.001}", json);
        Assert.Contains("{\"type\":\"activity\",\"kind\":\"l1\",\"weight\":0.0001}", json);   // no rho for l1
        var back = ModelSpec.FromJson(json);
        Assert.Equal(spec.Penalties, back.Penalties);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void Unpenalised_specs_write_no_penalties_and_old_json_reads()
    {
        var dense32 = Presets.Get("dense32").Model;
        Assert.DoesNotContain("penalties", dense32.ToJson());
        Assert.Empty(ModelSpec.FromJson(dense32.ToJson()).Penalties);
    }

    [Fact]
    public void Sparse_preset_is_dense32_plus_keras_l1()
    {
        var sparse = Presets.Get("sparse").Model;
        var dense32 = Presets.Get("dense32").Model;
        Assert.Equal(dense32.ToJson().Replace("dense32", "sparse"), (sparse with { Penalties = [] }).ToJson());
        var penalty = Assert.IsType<ActivityPenaltySpec>(Assert.Single(sparse.Penalties));
        Assert.Equal((ActivityPenaltyKind.L1, 1e-4f, null), (penalty.Kind, penalty.Weight, penalty.Rho));
        Assert.Contains("l1 activity 0.0001 on the code", sparse.ToString());
        Assert.Equal(Presets.Get("dense32").Recipe with { Epochs = 100 }, Presets.Get("sparse").Recipe);
    }

    private static ModelBuilder Encoder(Activation code) =>
        new ModelBuilder("m", 1, 28, 28).Flatten().Dense(32, code).Code().Dense(784, Activation.Sigmoid).Reshape(1, 28, 28);

    public static TheoryData<string, ModelSpec> Impossible => new()
    {
        { "m: code layer 1 (dense 32 relu): kl sparsity needs a sigmoid code (activations in (0, 1)), the code comes from a relu layer",
            Encoder(Activation.Relu).Build(ReconstructionLoss.BinaryCrossEntropy) with
            { Penalties = [new ActivityPenaltySpec(ActivityPenaltyKind.KlSparsity, 1f, 0.05f)] } },
        { "m: code layer 1 (dense 32 tanh): the contractive penalty needs a sigmoid or relu code layer, got tanh",
            Encoder(Activation.Tanh).Build(ReconstructionLoss.BinaryCrossEntropy) with { Penalties = [new ContractivePenaltySpec(1e-3f)] } },
        { "m: code layer 1 (maxpool2d): the contractive penalty has a closed form for a dense code layer only",
            new ModelBuilder("m", 1, 28, 28).Conv2D(4, 3, Activation.Sigmoid).MaxPool2D().Code().UpSample2D().Conv2D(1, 3, Activation.Sigmoid)
                .Build(ReconstructionLoss.BinaryCrossEntropy) with { Penalties = [new ContractivePenaltySpec(1e-3f)] } },
        { "m: kl sparsity needs a target activation rho in (0, 1), got 1",
            Encoder(Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) with
            { Penalties = [new ActivityPenaltySpec(ActivityPenaltyKind.KlSparsity, 1f, 1f)] } },
        { "m: kl sparsity needs a target activation rho in (0, 1), got none",
            Encoder(Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy) with
            { Penalties = [new ActivityPenaltySpec(ActivityPenaltyKind.KlSparsity, 1f)] } },
        { "m: the l1 activity penalty weight must be a finite number >= 0, got -0.001",
            Encoder(Activation.Relu).Build(ReconstructionLoss.BinaryCrossEntropy) with
            { Penalties = [new ActivityPenaltySpec(ActivityPenaltyKind.L1, -1e-3f)] } },
        { "m: the contractive penalty weight must be a finite number >= 0, got NaN",
            Encoder(Activation.Relu).Build(ReconstructionLoss.BinaryCrossEntropy) with { Penalties = [new ContractivePenaltySpec(float.NaN)] } },
        { "m: code layer 2 (dense 784 sigmoid) is the output layer",
            new ModelBuilder("m", 1, 28, 28).Flatten().Dense(32, Activation.Relu).Dense(784, Activation.Sigmoid).Code().Reshape(1, 28, 28)
                .Build(ReconstructionLoss.BinaryCrossEntropy) with { Penalties = [new ActivityPenaltySpec(ActivityPenaltyKind.L1, 1e-4f)] } },
    };

    [Theory]
    [MemberData(nameof(Impossible))]
    public void Impossible_penalties_fail_with_a_clear_message(string expected, ModelSpec spec)
    {
        using var backend = new CpuBackend("managed");
        var error = Assert.Throws<ModelSpecException>(() => new Network(backend, spec));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_builder_checks_the_numbers_at_once()
    {
        var error = Assert.Throws<ModelSpecException>(() => Encoder(Activation.Sigmoid).KlSparsity(0f, 1f));
        Assert.Contains("rho in (0, 1), got 0", error.Message);
        error = Assert.Throws<ModelSpecException>(() => Encoder(Activation.Sigmoid).Contractive(-1f));
        Assert.Contains("contractive penalty weight must be a finite number >= 0, got -1", error.Message);
    }

    [Fact]
    public void Malformed_penalty_json_is_a_spec_error()
    {
        string json = Presets.Get("sparse").Model.ToJson().Replace("\"type\":\"activity\"", "\"type\":\"dropout\"");
        Assert.Throws<ModelSpecException>(() => ModelSpec.FromJson(json));
    }
}

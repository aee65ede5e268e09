using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Autodiff;

/// <summary>
/// Every penalty on the code, gradient-checked in float64 through the real training plan (gather, forward, BCE,
/// penalty steps around the code layer's backward rule): every parameter's dL/dθ against central differences of the
/// training loss, so the dh path (through the activation) and the direct dW path of the contractive penalty are both
/// covered. Weights are large so the penalty is a sizeable part of the loss (asserted).
/// </summary>
public class PenaltyGradientTests
{
    public static TheoryData<string, Activation, PenaltySpec> Cases => new()
    {
        { "l1 linear code (away from 0)", Activation.Linear, new ActivityPenaltySpec(ActivityPenaltyKind.L1, 0.5f) },
        { "l1 relu code", Activation.Relu, new ActivityPenaltySpec(ActivityPenaltyKind.L1, 0.5f) },
        { "kl sparsity", Activation.Sigmoid, new ActivityPenaltySpec(ActivityPenaltyKind.KlSparsity, 0.5f, 0.2f) },
        { "contractive sigmoid", Activation.Sigmoid, new ContractivePenaltySpec(0.5f) },
        { "contractive relu", Activation.Relu, new ContractivePenaltySpec(0.5f) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Penalised_training_loss_has_matching_gradients(string name, Activation code, PenaltySpec penalty)
    {
        var plain = Model(name, code, []);
        var penalised = Model(name, code, [penalty]);
        double withPenalty = CheckModel(penalised, batch: 7);
        double without = CheckModel(plain, batch: 7);
        Assert.True(withPenalty - without > 1e-3, $"{name}: the penalty adds {withPenalty - without} to the loss");
    }

    [Fact]
    public void Two_penalties_add_up()
    {
        var both = Model("both", Activation.Sigmoid,
            [new ActivityPenaltySpec(ActivityPenaltyKind.KlSparsity, 0.3f, 0.3f), new ContractivePenaltySpec(0.4f)]);
        CheckModel(both, batch: 5);
    }

    // 12 inputs -> 5-unit code -> 12 sigmoid outputs (BCE), small enough to check every parameter
    private static ModelSpec Model(string name, Activation code, PenaltySpec[] penalties) =>
        new ModelBuilder(name, 1, 3, 4).Flatten().Dense(5, code).Code().Dense(12, Activation.Sigmoid).Reshape(1, 3, 4)
            .Build(ReconstructionLoss.BinaryCrossEntropy) with { Penalties = penalties };

    /// <summary>Checks every parameter's gradient; returns the training loss at the checked point.</summary>
    private static double CheckModel(ModelSpec spec, int batch, int seed = 3)
    {
        using var backend = new CpuBackend<double>("managed");
        using var network = new Network(backend, spec);
        var store = network.Parameters;
        store.Initialize((ulong)seed);
        var rng = new System.Random(seed);
        var values = new double[store.Length];
        backend.Download(store.Values.All, values);
        for (int i = 0; i < values.Length; i++) values[i] += 0.2 * (rng.NextDouble() - 0.5);   // biases off zero, away from kinks
        backend.Upload(store.Values.All, values);

        var images = new float[batch * network.SampleSize];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        using var data = new DeviceDataset(backend, new Dataset("random", images, batch, 1, 3, 4));
        data.SetOrder(Enumerable.Range(0, batch).ToArray());
        using var accumulators = backend.Allocate(3);
        var inputs = PlanInputs.Of(data);
        using var plan = network.BuildPlan(PlanKind.Gradient, batch, inputs, accumulators.All);

        double Loss()
        {
            backend.Fill(accumulators.All, 0f);
            plan.Plan.Run();
            var l = new double[1];
            backend.Download(accumulators.Slice(0, 1), l);
            return l[0];
        }

        double loss = Loss();
        var analytic = new double[store.Length];
        backend.Download(store.Gradients.All, analytic);
        foreach (var entry in store.Entries)
            GradientChecker.Compare($"{spec} d/d{entry.Decl.Name}", store.Values.Slice(entry.Offset, entry.Length),
                analytic.AsSpan((int)entry.Offset, (int)entry.Length).ToArray(), backend, Loss);
        return loss;
    }
}

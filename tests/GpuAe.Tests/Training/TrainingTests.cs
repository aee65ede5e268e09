using GpuAe.Backends.Cpu;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>Training on real MNIST with the CPU backend: reference losses, learning, determinism.</summary>
[Collection("mnist")]
public class TrainingTests(MnistFixture mnist)
{
    [SkippableFact]
    public void Dense32_one_epoch_reaches_the_pytorch_reference()
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1);
        using var trainSet = new DeviceDataset(backend, train);
        using var testSet = new DeviceDataset(backend, test);

        var metrics = trainer.TrainEpoch(trainSet, testSet);

        // PyTorch, same recipe (784-32-784 relu/sigmoid, Adam 1e-3, batch 256), one epoch: 0.1986.
        Assert.True(metrics.ValLoss < 0.20, $"validation BCE after one epoch {metrics.ValLoss}");
        Assert.True(metrics.ValMse < metrics.ValLoss);
        Assert.Equal(234, trainer.Step); // 60000 / 256, drop-last
    }

    [SkippableTheory]
    [InlineData("conv", 2048, 512, 3)]
    [InlineData("conv-transpose", 1024, 256, 5)]
    public void Conv_loss_decreases(string model, int trainCount, int testCount, int seed)
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get(model);
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed);
        using var trainSet = new DeviceDataset(backend, train.Subset(0, trainCount));
        using var testSet = new DeviceDataset(backend, test.Subset(0, testCount));

        var before = trainer.Evaluate(testSet);
        var first = trainer.TrainEpoch(trainSet, testSet);
        var second = trainer.TrainEpoch(trainSet, testSet);

        Assert.True(first.ValLoss < before.Loss, $"{before.Loss} -> {first.ValLoss}");
        Assert.True(second.ValLoss < first.ValLoss, $"{first.ValLoss} -> {second.ValLoss}");
        Assert.True(second.TrainLoss < first.TrainLoss, $"{first.TrainLoss} -> {second.TrainLoss}");
    }

    [SkippableTheory]
    [InlineData("mlp256")]
    [InlineData("conv-dense")]
    [InlineData("conv-transpose")]
    public void Same_seed_gives_bit_identical_metrics_and_parameters(string model)
    {
        var (train, test) = mnist.Data;
        (EpochMetrics, float[]) Run()
        {
            using var backend = new CpuBackend();
            var preset = Presets.Get(model);
            using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 42);
            using var trainSet = new DeviceDataset(backend, train.Subset(0, 1024));
            using var testSet = new DeviceDataset(backend, test.Subset(0, 300));
            var m = trainer.TrainEpoch(trainSet, testSet);
            var parameters = new float[trainer.Network.Parameters.Length];
            backend.Download(trainer.Network.Parameters.Values.All, parameters);
            return (m with { EpochSeconds = 0, SamplesPerSecond = 0 }, parameters);
        }

        var (m1, p1) = Run();
        var (m2, p2) = Run();

        Assert.Equal(m1, m2);
        Assert.Equal(p1, p2);
    }
}

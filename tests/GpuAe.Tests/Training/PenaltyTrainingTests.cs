using GpuAe.Backends.Cpu;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>The penalised presets on a slice of real MNIST (CPU backend): the penalty does what it is for.</summary>
[Collection("mnist")]
public class PenaltyTrainingTests(MnistFixture mnist)
{
    /// <summary>The Keras blog's effect (mean code 3.33 with the L1 penalty vs ~7.3 without, after 100 epochs), in
    /// miniature (351 steps): same seed, same data, same steps; the L1 penalty keeps the code clearly smaller.</summary>
    [SkippableFact]
    public void Sparse_code_is_clearly_smaller_than_dense32s()
    {
        var (train, test) = mnist.Data;
        double Mean(string preset, out EpochMetrics last)
        {
            using var backend = new CpuBackend();
            var p = Presets.Get(preset);
            using var trainer = new Trainer(backend, p.Model, p.Recipe, seed: 5);
            using var trainSet = new DeviceDataset(backend, train.Subset(0, 30000));
            using var testSet = new DeviceDataset(backend, test.Subset(0, 1000));
            last = trainer.TrainEpoch(trainSet);
            for (int e = 1; e < 3; e++) last = trainer.TrainEpoch(trainSet, e == 2 ? testSet : null);
            return trainer.MeanCodeActivation(testSet);
        }

        double sparse = Mean("sparse", out var sparseMetrics), dense = Mean("dense32", out var denseMetrics);
        Assert.True(sparse < 0.8 * dense, $"mean code activation: sparse {sparse:0.000}, dense32 {dense:0.000}");
        // the train loss carries the penalty, the validation loss is reconstruction only
        Assert.True(sparseMetrics.TrainLoss > denseMetrics.TrainLoss, $"{sparseMetrics.TrainLoss} vs {denseMetrics.TrainLoss}");
        Assert.True(double.IsFinite(sparseMetrics.ValLoss));
    }

    [SkippableFact]
    public void Contractive_preset_trains_and_is_deterministic()
    {
        var (train, _) = mnist.Data;
        float[] Run()
        {
            using var backend = new CpuBackend();
            var p = Presets.Get("contractive");
            using var trainer = new Trainer(backend, p.Model, p.Recipe, seed: 2);
            using var trainSet = new DeviceDataset(backend, train.Subset(0, 1024));
            var first = trainer.TrainEpoch(trainSet);
            var second = trainer.TrainEpoch(trainSet);
            Assert.True(second.TrainLoss < first.TrainLoss, $"{first.TrainLoss} -> {second.TrainLoss}");
            return trainer.Encode(trainSet, 16);
        }
        Assert.Equal(Run(), Run());
    }
}

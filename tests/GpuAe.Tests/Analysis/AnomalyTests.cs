using GpuAe.Analysis;
using GpuAe.Backends.Cpu;
using GpuAe.Models;
using GpuAe.Tests.Training;
using GpuAe.Training;

namespace GpuAe.Tests.Analysis;

[Collection("mnist")]
public class AnomalyTests(MnistFixture mnist)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Roc_auc_equals_the_pairwise_probability_with_ties_counting_half(int seed)
    {
        var rng = new System.Random(seed);
        int n = 200;
        // Coarse scores so that ties happen, between and within the classes.
        var scores = Enumerable.Range(0, n).Select(_ => (double)rng.Next(0, 20)).ToArray();
        var anomalous = Enumerable.Range(0, n).Select(i => rng.NextDouble() < 0.3 + 0.02 * scores[i]).ToArray();
        double wins = 0, pairs = 0;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            if (!anomalous[i] || anomalous[j]) continue;
            pairs++;
            wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
        }

        var (curve, auc) = Roc.Compute(scores, anomalous);

        Assert.Equal(wins / pairs, auc, 12);
        Assert.Equal((0.0, 0.0), curve[0]);
        Assert.Equal((1.0, 1.0), curve[^1]);
    }

    [Fact]
    public void Roc_needs_both_classes() =>
        Assert.Throws<ArgumentException>(() => Roc.Compute([1.0, 2.0], [true, true]));

    [SkippableFact]
    public void Reconstruction_error_separates_an_unseen_digit_from_the_trained_one()
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = 64 }, seed: 2);
        using var ones = new DeviceDataset(backend, train.FilterByLabel(1).Subset(0, 1024));
        var subset = test.Subset(0, 2000);
        using var testSet = new DeviceDataset(backend, subset);
        for (int e = 0; e < 3; e++) trainer.TrainEpoch(ones);

        var scores = trainer.ReconstructionErrors(testSet);
        var (_, auc) = Roc.Compute(scores, subset.Labels!.Select(l => l != 1).ToArray());

        Assert.True(auc > 0.9, $"ROC AUC {auc} (chance is 0.5)");
    }
}

using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Analysis;

/// <summary>The library API: train on normal rows, score raw rows, save and load with scaling and threshold.</summary>
public class AnomalyDetectorTests
{
    /// <summary>Normal rows lie near a 2-D plane in 8-D (so a code of 2 reconstructs them); anomalies leave it.</summary>
    internal static Dataset Rows(int count, bool anomalous, int seed)
    {
        var rng = new System.Random(seed);
        var values = new float[count * 8];
        for (int i = 0; i < count; i++)
        {
            double a = rng.NextDouble() * 4 - 2, b = rng.NextDouble() * 4 - 2;
            for (int j = 0; j < 8; j++)
            {
                double onPlane = a * Math.Cos(j) + b * Math.Sin(2 * j) + 10 * j; // offsets per feature: scaling matters
                values[i * 8 + j] = (float)(onPlane + 0.05 * (rng.NextDouble() - 0.5) + (anomalous ? 3 * (rng.NextDouble() - 0.5) : 0));
            }
        }
        return new Dataset(anomalous ? "anomalies" : "normal", values, count, 1, 1, 8);
    }

    [Fact]
    public void Trains_on_normal_rows_separates_anomalies_and_survives_a_save_and_load()
    {
        using var backend = new CpuBackend("managed");
        var normalTrain = Rows(200, false, 1);
        var normalHeld = Rows(60, false, 2);
        var anomalies = Rows(60, true, 3);
        var scaling = InputScaling.Fit(ScaleKind.Standard, normalTrain, [8], null, null, []);
        int epochs = 0;
        using var detector = AnomalyDetector.Fit(backend, AnomalyDetector.TabularModel(8, [6, 2]),
            AnomalyDetector.TabularRecipe with { Epochs = 60 }, seed: 3, scaling, normalTrain, normalHeld,
            new ThresholdRule(ThresholdKind.FalsePositiveRate, 0.05), _ => epochs++);
        Assert.Equal(60, epochs);

        double[] held = detector.Score(normalHeld), odd = detector.Score(anomalies);
        Assert.Equal(new ThresholdRule(ThresholdKind.FalsePositiveRate, 0.05).Pick(held), detector.Threshold);
        Assert.True(held.Count(s => s > detector.Threshold) <= 3); // at most 5 % of 60 held-out normal rows flagged
        var evaluation = AnomalyEvaluation.Compute([.. held, .. odd], [.. held.Select(_ => false), .. odd.Select(_ => true)], detector.Threshold);
        Assert.True(evaluation.RocAuc > 0.95, $"ROC AUC {evaluation.RocAuc}");
        Assert.Equal(detector.Decide(odd).Count(f => f), evaluation.TruePositives);

        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        detector.NormalLabel = 7;
        detector.Save(path);
        using var loaded = AnomalyDetector.Load(backend, path);
        Assert.Equal((detector.Threshold, detector.Rule, 60, 7), (loaded.Threshold, loaded.Rule, loaded.HeldOutNormals, loaded.NormalLabel));
        Assert.Equal(odd, loaded.Score(anomalies)); // the stored scaling is applied to raw rows: same scores, bit for bit
        Assert.Equal(detector.ThresholdJson(), loaded.ThresholdJson());

        using var given = AnomalyDetector.Load(backend, path, threshold: 0.5);
        Assert.Equal((0.5, ThresholdKind.Fixed), (given.Threshold, given.Rule.Kind));
    }

    [Fact]
    public void Loading_a_checkpoint_without_threshold_or_scaling_says_which()
    {
        using var backend = new CpuBackend("managed");
        using var dir = new TempDirectory();
        var rows = Rows(20, false, 4);
        using (var trainer = new Trainer(backend, AnomalyDetector.TabularModel(8), AnomalyDetector.TabularRecipe with { Epochs = 1 }, 1))
        {
            Checkpoint.Save(trainer, dir.File("bare.safetensors"));
            var scaling = InputScaling.Fit(ScaleKind.MinMax, rows, [8], null, null, []);
            Checkpoint.Save(trainer, dir.File("scaled.safetensors"), null, new Dictionary<string, string> { [InputScaling.MetadataKey] = scaling.ToJson() });
        }
        Assert.Contains("no 'gpuae.scaling' metadata", Assert.Throws<InvalidDataException>(() => AnomalyDetector.Load(backend, dir.File("bare.safetensors"))).Message);
        var e = Assert.Throws<InvalidDataException>(() => AnomalyDetector.Load(backend, dir.File("scaled.safetensors")));
        Assert.Equal($"{dir.File("scaled.safetensors")}: no anomaly threshold (metadata 'gpuae.anomaly'); it was not written by gpuae anomaly (give a threshold to score with it)", e.Message);
        using var withThreshold = AnomalyDetector.Load(backend, dir.File("scaled.safetensors"), threshold: 1);
        Assert.Equal(20, withThreshold.Score(rows).Length);
    }

    [Theory]
    [InlineData("{\"threshold\": \"x\", \"rule\": \"percentile\"}", "malformed threshold JSON")]
    [InlineData("{\"threshold\": 1, \"rule\": \"median\"}", "rule 'median' is not percentile or false_positive_rate")]
    [InlineData("{\"rule\": \"percentile\"}", "malformed threshold JSON")]
    [InlineData("{\"threshold\": 1, \"rule\": \"fixed\", \"normal_label\": 300}", "normal_label 300 is not a class 0..255")]
    public void Malformed_threshold_metadata_names_the_source(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => AnomalyDetector.ParseThreshold(json, "m.safetensors: metadata 'gpuae.anomaly'"));
        Assert.StartsWith("m.safetensors: metadata 'gpuae.anomaly': ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_tabular_model_mirrors_its_widths_with_a_linear_code_and_output()
    {
        var model = AnomalyDetector.TabularModel(30);
        Assert.Equal("tabular-30-16-4", model.Name);
        Assert.Equal<LayerSpec>([new DenseSpec(16, Activation.Relu), new DenseSpec(4, Activation.Linear), new DenseSpec(16, Activation.Relu),
            new DenseSpec(30, Activation.Linear)], model.Layers);
        Assert.Equal((1, ReconstructionLoss.MeanSquaredError, 30), (model.CodeLayer, model.Loss, model.InputShape.Single()));
        Assert.Throws<ArgumentException>(() => AnomalyDetector.TabularModel(30, [16, 0]));
    }
}

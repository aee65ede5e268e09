using System.Globalization;
using System.Text;
using System.Text.Json;
using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Analysis;

/// <summary>
/// Anomaly detection by reconstruction error: an autoencoder trained on normal samples only, the scaling fitted on
/// them, and a threshold picked on held-out normal samples. <see cref="Score"/> rates new raw samples (scaled as the
/// training rows were); a score above <see cref="Threshold"/> flags an anomaly. <see cref="Save"/> writes all of it into
/// one checkpoint (scaling under <see cref="InputScaling.MetadataKey"/>, threshold under <see cref="MetadataKey"/>), which
/// <see cref="Load"/> reads back — the deployment step (`gpuae score`).
/// </summary>
/// <example><code>
/// var scaling = InputScaling.Fit(ScaleKind.Standard, normalTrain, [30], features, null, notes);
/// using var detector = AnomalyDetector.Fit(backend, AnomalyDetector.TabularModel(30), AnomalyDetector.TabularRecipe, seed: 1,
///                                          scaling, normalTrain, normalHeldOut, ThresholdRule.Default);
/// double[] scores = detector.Score(newRows);
/// bool[] flagged = detector.Decide(scores);
/// </code></example>
public sealed class AnomalyDetector : IDisposable
{
    /// <summary>The checkpoint metadata key holding the threshold and how it was chosen (<see cref="ThresholdJson"/>).</summary>
    public const string MetadataKey = "gpuae.anomaly";

    /// <summary>What a score is, for reports.</summary>
    public const string ScoreDescription = "mean squared reconstruction error per value, on the scaled inputs";

    private AnomalyDetector(Trainer trainer, InputScaling scaling, double threshold, ThresholdRule rule, int heldOutNormals)
    {
        Trainer = trainer;
        Scaling = scaling;
        Threshold = threshold;
        Rule = rule;
        HeldOutNormals = heldOutNormals;
    }

    /// <summary>The trained autoencoder.</summary>
    public Trainer Trainer { get; }

    /// <summary>Shape, columns and scaling of the inputs, fitted on the normal training samples.</summary>
    public InputScaling Scaling { get; }

    /// <summary>Scores above this are anomalous.</summary>
    public double Threshold { get; private set; }

    /// <summary>How <see cref="Threshold"/> was chosen.</summary>
    public ThresholdRule Rule { get; private set; }

    /// <summary>How many held-out normal samples the threshold was chosen on.</summary>
    public int HeldOutNormals { get; private set; }

    /// <summary>The class label of normal samples, when the detector was trained from labelled data (stored with the
    /// threshold, so scoring labelled data later can report how well it does); else null.</summary>
    public int? NormalLabel { get; set; }

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="normalTrain"/> (raw values; <paramref name="scaling"/> fitted on
    /// them is applied) for <c>recipe.Epochs</c> epochs, then picks the threshold by <paramref name="rule"/> on the scores of
    /// <paramref name="normalHeldOut"/> (raw, not trained on). <paramref name="afterEpoch"/> sees each epoch's metrics (the
    /// validation loss is the held-out normal samples').
    /// </summary>
    /// <exception cref="ModelSpecException">The model does not take the samples' shape.</exception>
    /// <exception cref="ArgumentException">An empty set.</exception>
    public static AnomalyDetector Fit(IBackend backend, ModelSpec model, TrainingRecipe recipe, int seed, InputScaling scaling,
        Dataset normalTrain, Dataset normalHeldOut, ThresholdRule rule, Action<EpochMetrics>? afterEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        if (normalTrain.Count == 0) throw new ArgumentException("anomaly detection needs normal samples to train on; there are none");
        if (normalHeldOut.Count == 0) throw new ArgumentException("anomaly detection needs held-out normal samples to pick the threshold on; there are none");
        int size = scaling.SampleShape.Aggregate(1, (a, b) => a * b);
        if (model.InputShape.Aggregate(1, (a, b) => a * b) != size)
            throw new ModelSpecException($"model {model.Name} takes samples of [{string.Join(", ", model.InputShape)}], the data's are [{string.Join(", ", scaling.SampleShape)}]");
        var trainer = new Trainer(backend, model, recipe, seed);
        try
        {
            using (var train = new DeviceDataset(backend, scaling.Apply(normalTrain)))
            using (var heldOut = new DeviceDataset(backend, scaling.Apply(normalHeldOut)))
                while (trainer.Epoch < recipe.Epochs)
                {
                    var metrics = trainer.TrainEpoch(train, heldOut);
                    afterEpoch?.Invoke(metrics);
                }
            var detector = new AnomalyDetector(trainer, scaling, double.NaN, rule, normalHeldOut.Count);
            detector.Calibrate(detector.Score(normalHeldOut), rule);
            return detector;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>Reads a detector written by <see cref="Save"/> onto <paramref name="backend"/>. With <paramref name="threshold"/>
    /// given, that threshold is used instead of the stored one, and any checkpoint with its scaling serves (a `gpuae train`
    /// run on your own data too).</summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, or one without the scaling, or without a threshold when none is
    /// given (the message says which and names the file).</exception>
    public static AnomalyDetector Load(IBackend backend, string path, double? threshold = null)
    {
        var saved = Checkpoint.Read(path);
        var metadata = Checkpoints.SafeTensors.Read(path).Metadata;
        var scaling = InputScaling.FromMetadata(metadata, path)
            ?? throw new InvalidDataException($"{path}: no '{InputScaling.MetadataKey}' metadata (how the inputs were scaled); it predates stored scaling, retrain it with gpuae anomaly");
        if (threshold is { } given)
            return new AnomalyDetector(saved.CreateTrainer(backend), scaling, given, new ThresholdRule(ThresholdKind.Fixed, given), 0);
        if (!metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: no anomaly threshold (metadata '{MetadataKey}'); it was not written by gpuae anomaly (give a threshold to score with it)");
        var (stored, rule, heldOut, normal) = ParseThreshold(json, $"{path}: metadata '{MetadataKey}'");
        return new AnomalyDetector(saved.CreateTrainer(backend), scaling, stored, rule, heldOut) { NormalLabel = normal };
    }

    /// <summary>The score of every sample of <paramref name="raw"/> (unscaled values, the shape the model was trained on).</summary>
    /// <exception cref="InvalidDataException">The samples have another size than the model's.</exception>
    public double[] Score(Dataset raw)
    {
        using var data = new DeviceDataset(Trainer.Backend, Scaling.Apply(raw));
        return Trainer.ReconstructionErrors(data);
    }

    /// <summary>Whether each score is above <see cref="Threshold"/>.</summary>
    public bool[] Decide(ReadOnlySpan<double> scores)
    {
        var flagged = new bool[scores.Length];
        for (int i = 0; i < scores.Length; i++) flagged[i] = scores[i] > Threshold;
        return flagged;
    }

    /// <summary>Sets <see cref="Threshold"/> by <paramref name="rule"/> on <paramref name="normalScores"/> (held-out normal samples).</summary>
    public void Calibrate(ReadOnlySpan<double> normalScores, ThresholdRule rule)
    {
        Threshold = rule.Pick(normalScores);
        Rule = rule;
        HeldOutNormals = normalScores.Length;
    }

    /// <summary>Writes the model, its scaling and its threshold to the checkpoint <paramref name="path"/> (atomically).</summary>
    public void Save(string path, RunInfo? run = null) =>
        Checkpoint.Save(Trainer, path, run, new Dictionary<string, string>
        {
            [InputScaling.MetadataKey] = Scaling.ToJson(),
            [MetadataKey] = ThresholdJson(),
        });

    /// <summary>{"threshold": T, "rule": "percentile"|"false_positive_rate", "value": V, "held_out_normals": N, "score": ...}.</summary>
    public string ThresholdJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("threshold", Threshold);
            w.WriteString("rule", Rule.KindName);
            if (double.IsFinite(Rule.Value)) w.WriteNumber("value", Rule.Value);
            w.WriteNumber("held_out_normals", HeldOutNormals);
            if (NormalLabel is { } label) w.WriteNumber("normal_label", label);
            w.WriteString("score", ScoreDescription);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Parses <see cref="ThresholdJson"/>'s output; <paramref name="source"/> heads every error.</summary>
    internal static (double Threshold, ThresholdRule Rule, int HeldOutNormals, int? NormalLabel) ParseThreshold(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            double threshold = root.GetProperty("threshold").GetDouble();
            if (!double.IsFinite(threshold)) throw new InvalidDataException($"{source}: threshold {threshold} is not a finite number");
            string kind = root.GetProperty("rule").GetString() ?? "";
            var rule = new ThresholdRule(ThresholdRule.ParseKind(kind)
                ?? throw new InvalidDataException($"{source}: rule '{kind}' is not percentile or false_positive_rate"),
                root.TryGetProperty("value", out var v) ? v.GetDouble() : double.NaN);
            int heldOut = root.TryGetProperty("held_out_normals", out var n) ? n.GetInt32() : 0;
            int? normal = root.TryGetProperty("normal_label", out var l) ? l.GetInt32() : null;
            if (normal is < 0 or > 255) throw new InvalidDataException($"{source}: normal_label {normal} is not a class 0..255");
            return (threshold, rule, heldOut, normal);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: malformed threshold JSON ({e.Message})", e);
        }
    }

    /// <summary>The default recipe for tables: Adam 1e-3, batch 32, 300 epochs.</summary>
    public static TrainingRecipe TabularRecipe { get; } = new(OptimizerKind.Adam, 1e-3f, 32, 300);

    /// <summary>Default encoder widths for tables (the last is the code): D-16-4-16-D for D features.</summary>
    public static IReadOnlyList<int> TabularWidths { get; } = [16, 4];

    /// <summary>
    /// A dense autoencoder for <paramref name="features"/> standardised values: the encoder through <paramref name="widths"/>
    /// (default <see cref="TabularWidths"/>; ReLU, the code linear) and the mirrored decoder (ReLU) to a linear output, MSE loss.
    /// </summary>
    /// <exception cref="ArgumentException">No widths, or a width below 1.</exception>
    public static ModelSpec TabularModel(int features, IReadOnlyList<int>? widths = null)
    {
        widths ??= TabularWidths;
        if (widths.Count == 0 || widths.Any(w => w < 1))
            throw new ArgumentException($"layer widths must be whole numbers of at least 1, got [{string.Join(", ", widths)}]");
        string name = $"tabular-{features}-{string.Join("-", widths)}";
        var b = new ModelBuilder(name, features);
        for (int i = 0; i < widths.Count; i++) b.Dense(widths[i], i == widths.Count - 1 ? Activation.Linear : Activation.Relu);
        b.Code();
        for (int i = widths.Count - 2; i >= 0; i--) b.Dense(widths[i], Activation.Relu);
        return b.Dense(features, Activation.Linear).Build(ReconstructionLoss.MeanSquaredError);
    }

    /// <summary>"threshold 0.1234 (percentile 99 of 107 held-out normal samples)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"threshold {Threshold:G6} ({Rule} of {HeldOutNormals} held-out normal samples)");

    public void Dispose() => Trainer.Dispose();
}

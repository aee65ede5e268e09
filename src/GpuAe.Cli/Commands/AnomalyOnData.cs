using System.Globalization;
using System.Text.Json.Nodes;
using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Random;
using GpuAe.Training;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>
/// `gpuae anomaly` on the user's data: `--data FILE` with labels (a CSV --label-column, or --labels FILE for .npy/IDX) and
/// --normal-label V, or `--train NORMAL --score DATA`. Trains on normal rows only, picks the threshold on held-out normal
/// rows, scores every row, and writes model.safetensors (with scaling and threshold, for `gpuae score`), scores.csv,
/// anomaly.json and the pictures.
/// </summary>
internal static class AnomalyOnData
{
    public const string SummaryFile = "anomaly.json";
    private const double DefaultHoldout = 0.3;
    private const ulong SplitStream = 0xA40_3A1;

    /// <summary>The command line of this mode (null: not given).</summary>
    public sealed record Options(string? Data, string? Train, string? Score, string? LabelColumn, int? NormalLabel, string? Labels,
        string? DropColumns, string? Scale, double? Holdout, int? TrainRows, double? Percentile, double? TargetFpr, string? Model,
        string? Layers, int? Epochs, int? Batch, float? LearningRate, float? Noise, int Seed, string Backend, string Out);

    public static int Run(Options o)
    {
        var rule = CheckOptions(o);
        var drop = o.DropColumns?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        var scaleKind = o.Scale is null ? (ScaleKind?)null
            : InputScaling.ParseKind(o.Scale) ?? throw new ArgumentException($"--scale {o.Scale}: expected standard, minmax or none");
        int[]? widths = o.Layers is null ? null : ParseWidths(o.Layers);
        using var held = OutputFolder.Open(o.Out, $"--out {o.Out}", "gpuae anomaly");

        // what to train on (normal rows), to hold out, and to score
        Dataset normals, scored;
        int[] shape;
        IReadOnlyList<string>? features;
        int[] normalRows; // for --data: the rows of the file that are normal (the rest are anomalies)
        if (o.Data is { } data)
        {
            (var all, shape, features) = DataSource.ReadSamples(data, o.LabelColumn, drop);
            all = WithLabels(all, data, o.LabelColumn, o.Labels, "--data");
            int normalLabel = o.NormalLabel!.Value;
            CheckClasses(all.Labels!, normalLabel, data, o.LabelColumn);
            normalRows = Enumerable.Range(0, all.Count).Where(i => all.Labels![i] == normalLabel).ToArray();
            normals = Rows(all, normalRows, "normal");
            scored = all;
        }
        else
        {
            string train = o.Train!, score = o.Score!;
            (normals, shape, features) = DataSource.ReadSamples(train, HasColumn(train, o.LabelColumn) ? o.LabelColumn : null, drop);
            (scored, var scoreShape, _) = DataSource.ReadSamples(score, o.Labels is null ? o.LabelColumn : null, drop, features);
            if (!scoreShape.SequenceEqual(shape))
                throw new InvalidDataException($"--score {score}: samples of [{string.Join(", ", scoreShape)}], the --train data {train} has [{string.Join(", ", shape)}]");
            if (o.Labels is not null || o.LabelColumn is not null) scored = WithLabels(scored, score, o.LabelColumn, o.Labels, "--score");
            if (scored.Labels is not null && o.NormalLabel is null)
                throw new ArgumentException($"--score {score} has labels: give --normal-label V (the class of normal rows) to evaluate the scores");
            normalRows = Enumerable.Range(0, normals.Count).ToArray();
        }

        var (trainIdx, heldIdx) = SplitNormals(normals.Count, o.Holdout, o.TrainRows, o.Seed);
        var normalTrain = Rows(normals, trainIdx, "normal train");
        var normalHeld = Rows(normals, heldIdx, "normal held-out");
        var notes = new List<string>();
        var scaling = InputScaling.Fit(scaleKind ?? (features is not null ? ScaleKind.Standard : ScaleKind.None), normalTrain, shape, features,
            o.LabelColumn, notes);
        foreach (string note in notes) AnsiConsole.MarkupLine($"[yellow]note: {Markup.Escape(note)}[/]");

        var (model, recipe) = ChooseModel(o, shape, widths);
        ModelChoice.CheckFits(model, scaling, scaling.Apply(normalTrain));
        var (backend, _) = BackendChooser.Create(o.Backend);
        using var __ = backend;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.ToString())}[/]");
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"backend {backend.Name}; {recipe.Optimizer} lr {recipe.LearningRate:g3}, batch {recipe.BatchSize}, {recipe.Epochs} epochs, seed {o.Seed}; " +
            $"scaling {InputScaling.KindName(scaling.Kind)}; {normalTrain.Count} normal rows to train on, {normalHeld.Count} held out for the threshold"));
        int every = Math.Max(1, recipe.Epochs / 10);
        using var detector = AnomalyDetector.Fit(backend, model, recipe, o.Seed, scaling, normalTrain, normalHeld, rule, m =>
        {
            if (m.Epoch % every == 0 || m.Epoch == recipe.Epochs)
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {m.Epoch,4}/{recipe.Epochs}  train {m.TrainLoss:0.00000}  held-out normal {m.ValLoss:0.00000}"));
        });
        detector.NormalLabel = o.NormalLabel;
        AnsiConsole.MarkupLine(Markup.Escape(detector.ToString()));

        // every row's score; the metrics over the rows not trained on (held-out normals and anomalies, or all of --score)
        double[] scores = detector.Score(scored);
        bool[] flagged = detector.Decide(scores);
        string?[] split = new string?[scored.Count];
        if (o.Data is not null)
        {
            Array.Fill(split, "anomaly");
            foreach (int i in trainIdx) split[normalRows[i]] = "train";
            foreach (int i in heldIdx) split[normalRows[i]] = "holdout";
        }
        var rows = Enumerable.Range(0, scored.Count)
            .Select(i => new AnomalyOutputs.ScoredRow(i, split[i], scored.Labels?[i], scores[i], flagged[i])).ToList();
        var evaluated = rows.Where(r => r.Split is not "train").ToList();
        double[] heldScores = o.Data is not null ? evaluated.Where(r => r.Split == "holdout").Select(r => r.Score).ToArray() : detector.Score(normalHeld);

        string outDir = o.Out;
        detector.Save(Path.Combine(outDir, TrainingOutputs.CheckpointFile),
            new RunInfo(normalTrain.Count, Math.Min(recipe.BatchSize, normalTrain.Count), backend.Name, "fp32", null, null));
        AnomalyOutputs.WriteScores(Path.Combine(outDir, AnomalyOutputs.ScoresFile), rows);
        var written = new List<string> { TrainingOutputs.CheckpointFile, AnomalyOutputs.ScoresFile, SummaryFile };

        var summary = new JsonObject
        {
            ["data"] = o.Data,
            ["train"] = o.Train,
            ["score"] = o.Score,
            ["label_column"] = o.LabelColumn,
            ["labels"] = o.Labels,
            ["normal_label"] = o.NormalLabel,
            ["model"] = model.Name,
            ["backend"] = backend.Name,
            ["seed"] = o.Seed,
            ["epochs"] = recipe.Epochs,
            ["batch_size"] = recipe.BatchSize,
            ["learning_rate"] = recipe.LearningRate,
            ["noise"] = recipe.Noise,
            ["scaling"] = InputScaling.KindName(scaling.Kind),
            ["score_definition"] = AnomalyDetector.ScoreDescription,
            ["threshold"] = detector.Threshold,
            ["threshold_rule"] = detector.Rule.KindName,
            ["threshold_rule_value"] = detector.Rule.Value,
            ["threshold_stored_in"] = $"{TrainingOutputs.CheckpointFile}, metadata key {AnomalyDetector.MetadataKey}",
            ["rows"] = scored.Count,
            ["train_normals"] = normalTrain.Count,
            ["held_out_normals"] = normalHeld.Count,
            ["evaluated_rows"] = evaluated.Count,
            ["flagged"] = evaluated.Count(r => r.Anomalous),
        };
        (double[], bool[])? labelled = null;
        string title = $"{model.Name} on {Path.GetFileName(o.Data ?? o.Score!)}";
        if (scored.Labels is not null)
        {
            double[] s = evaluated.Select(r => r.Score).ToArray();
            bool[] anomalous = evaluated.Select(r => r.Label != o.NormalLabel).ToArray();
            if (anomalous.All(a => a) || !anomalous.Any(a => a))
                throw new InvalidDataException($"--score {o.Score}: every row is {(anomalous[0] ? "anomalous" : "normal")} (label {(anomalous[0] ? "other than " : "")}{o.NormalLabel}); the metrics need both");
            var evaluation = AnomalyEvaluation.Compute(s, anomalous, detector.Threshold);
            summary["anomalies"] = evaluation.Anomalies;
            summary["normals_evaluated"] = evaluation.Normals;
            AnomalyOutputs.AddMetrics(summary, evaluation);
            labelled = (s, anomalous);
            AnsiConsole.MarkupLine(Markup.Escape(AnomalyOutputs.Describe(evaluation)));
            written.AddRange(AnomalyOutputs.WriteCharts(outDir, title, s.Where((_, i) => !anomalous[i]).ToList(), "normal",
                s.Where((_, i) => anomalous[i]).ToList(), "anomalous", detector.Threshold, labelled));
        }
        else
        {
            AnsiConsole.MarkupLine($"{evaluated.Count(r => r.Anomalous)} of {evaluated.Count} rows of {Markup.Escape(o.Score!)} flagged (no labels: no metrics)");
            written.AddRange(AnomalyOutputs.WriteCharts(outDir, title, heldScores, "held-out normal", evaluated.Select(r => r.Score).ToList(), "scored",
                detector.Threshold, null));
        }
        AnomalyOutputs.WriteJson(Path.Combine(outDir, SummaryFile), summary);
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(string.Join(", ", written))} to {Markup.Escape(outDir)}");
        return 0;
    }

    /// <summary>Checks which mode the options name and that they fit together; returns the threshold rule.</summary>
    private static ThresholdRule CheckOptions(Options o)
    {
        if (o.Data is not null && (o.Train is not null || o.Score is not null))
            throw new ArgumentException("--data and --train/--score exclude each other: give --data FILE (with labels), or --train NORMAL --score DATA");
        if (o.Data is null && (o.Train is null || o.Score is null))
            throw new ArgumentException(o.Train is null && o.Score is null
                ? "give --normal-class K (MNIST protocol), --data FILE with --normal-label V, or --train NORMAL --score DATA"
                : $"{(o.Train is null ? "--score" : "--train")} needs {(o.Train is null ? "--train NORMAL" : "--score DATA")} too");
        foreach (var (option, file) in new[] { ("--data", o.Data), ("--train", o.Train), ("--score", o.Score), ("--labels", o.Labels) })
            if (file is not null && !File.Exists(file))
                throw new FileNotFoundException(Directory.Exists(file) || file is DataSource.MnistName or DataSource.FashionMnistName
                    ? $"{option} {file}: a data set with its own train/test split; use --normal-class K for the one-class protocol on it"
                    : $"{option} {file}: no such file", file);
        if (o.Data is not null && o.NormalLabel is null)
            throw new ArgumentException($"--data {o.Data}: give --normal-label V, the label of normal rows (the others are the anomalies)");
        if (o.NormalLabel is < 0 or > 255) throw new ArgumentException($"--normal-label {o.NormalLabel}: expected a class 0-255");
        if (o.Holdout is { } h && o.TrainRows is not null) throw new ArgumentException("--holdout and --train-rows exclude each other; give one");
        if (o.Holdout is { } f && !(f > 0 && f < 1)) throw new ArgumentException($"--holdout must be between 0 and 1 (exclusive), got {f}");
        CliOptions.AtLeast("--train-rows", o.TrainRows, 1);
        CliOptions.AtLeast("--epochs", o.Epochs, 1);
        CliOptions.AtLeast("--batch", o.Batch, 1);
        CliOptions.Positive("--lr", o.LearningRate);
        CliOptions.Positive("--noise", o.Noise, zeroAllowed: true);
        if (o.Model is not null && o.Layers is not null) throw new ArgumentException("--layers shapes the default tabular model; it does not apply with --model");
        return (o.Percentile, o.TargetFpr) switch
        {
            ({ }, { }) => throw new ArgumentException("--percentile and --target-fpr exclude each other; give one"),
            ({ } p, null) => new ThresholdRule(ThresholdKind.Percentile, p).Checked("--percentile"),
            (null, { } r) => new ThresholdRule(ThresholdKind.FalsePositiveRate, r).Checked("--target-fpr"),
            _ => ThresholdRule.Default,
        };
    }

    /// <summary>The samples with labels: a CSV's label column, or --labels FILE for an array file; an error naming the way
    /// to give them when neither is there.</summary>
    internal static Dataset WithLabels(Dataset samples, string path, string? labelColumn, string? labelsFile, string option)
    {
        if (labelsFile is not null)
        {
            if (labelColumn is not null) throw new ArgumentException($"--label-column and --labels exclude each other; give one");
            var labels = LabelFile.Read(labelsFile, samples);
            return new Dataset(samples.Name, samples.Images, samples.Count, samples.Channels, samples.Height, samples.Width, labels);
        }
        if (samples.Labels is not null) return samples;
        throw new ArgumentException(path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? $"{option} {path}: give --label-column C, the column holding each row's class"
            : $"{option} {path}: the file has no labels; give --labels FILE (IDX of unsigned bytes, or a 1-D .npy, one class per sample)");
    }

    /// <summary>The label column must hold the normal class and at least one other.</summary>
    internal static void CheckClasses(byte[] labels, int normalLabel, string path, string? labelColumn)
    {
        var classes = labels.Distinct().Order().ToArray();
        string where = labelColumn is null ? "the labels" : $"label column '{labelColumn}'";
        if (classes.Length == 1)
            throw new InvalidDataException($"{path}: {where} holds one class only ({classes[0]}); anomaly detection on --data needs normal rows and anomalies " +
                                           "(or use --train NORMAL --score DATA)");
        if (!classes.Contains((byte)normalLabel))
            throw new InvalidDataException($"{path}: no row has --normal-label {normalLabel} in {where} (classes present: {string.Join(", ", classes)})");
    }

    /// <summary>Seeded split of the normal rows into training and held-out indices (each sorted, at least one each side).</summary>
    internal static (int[] Train, int[] HeldOut) SplitNormals(int count, double? holdout, int? trainRows, int seed)
    {
        if (count < 2) throw new InvalidDataException($"{count} normal row(s): at least 2 are needed (one to train on, one to pick the threshold on)");
        int train = trainRows ?? (int)Math.Round(count * (1 - (holdout ?? DefaultHoldout)));
        if (trainRows > count - 1) throw new ArgumentException($"--train-rows {trainRows}: there are {count} normal rows, and at least one must be held out");
        train = Math.Clamp(train, 1, count - 1);
        var order = new int[count];
        Philox.Permutation(order, (ulong)seed, SplitStream);
        return (order[..train].Order().ToArray(), order[train..].Order().ToArray());
    }

    private static Dataset Rows(Dataset all, int[] rows, string part)
    {
        int d = all.SampleSize;
        var values = new float[(long)rows.Length * d];
        var labels = all.Labels is null ? null : new byte[rows.Length];
        for (int k = 0; k < rows.Length; k++)
        {
            all.Sample(rows[k]).CopyTo(values.AsSpan(k * d, d));
            if (labels is not null) labels[k] = all.Labels![rows[k]];
        }
        return new Dataset($"{all.Name} ({part})", values, rows.Length, all.Channels, all.Height, all.Width, labels);
    }

    private static (ModelSpec, TrainingRecipe) ChooseModel(Options o, int[] shape, int[]? widths)
    {
        bool table = shape.Length == 1;
        (ModelSpec model, TrainingRecipe recipe) = o.Model is null && table
            ? (AnomalyDetector.TabularModel(shape[0], widths), AnomalyDetector.TabularRecipe)
            : ModelChoice.Resolve(o.Model ?? "dense32").For(shape) is var p ? (p.Model, p.Recipe) : default;
        return (model, recipe with
        {
            Epochs = o.Epochs ?? recipe.Epochs,
            BatchSize = o.Batch ?? recipe.BatchSize,
            LearningRate = o.LearningRate ?? recipe.LearningRate,
            Noise = o.Noise ?? recipe.Noise,
        });
    }

    private static int[] ParseWidths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
                throw new ArgumentException($"--layers {text}: expected comma-separated widths of at least 1, e.g. 16,4 (the last is the code)");
        return widths;
    }

    /// <summary>Whether a CSV file's header names <paramref name="column"/> (false for other files or no column).</summary>
    internal static bool HasColumn(string path, string? column) =>
        column is not null && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
        && File.ReadLines(path).FirstOrDefault() is { } header && header.Split(',').Select(h => h.Trim().Trim('"')).Contains(column);
}

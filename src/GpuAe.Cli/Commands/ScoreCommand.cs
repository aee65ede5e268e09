using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using GpuAe.Analysis;
using GpuAe.Data;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>
/// `gpuae score --from RUN --data NEW`: the deployment step. Reads the model, its scaling (metadata gpuae.scaling) and its
/// threshold (metadata gpuae.anomaly) from the run's model.safetensors, scores every row of NEW by reconstruction error, and
/// writes scores.csv, score.json and scores.png; with labels (the run's label column when NEW has it, --label-column, or
/// --labels FILE) also the metrics and ROC/PR curves.
/// </summary>
internal static class ScoreCommand
{
    public const string SummaryFile = "score.json";

    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Run folder of gpuae anomaly with model.safetensors (or the file itself)", Required = true };
        var data = new Option<string>("--data") { Description = "Rows to score: .csv (the run's feature columns, any order, others ignored), .npy or IDX", Required = true };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV: label column (default: the run's, when the file has it)" };
        var labels = new Option<string?>("--labels") { Description = ".npy/IDX data: labels file, one class per sample" };
        var normalLabel = CliOptions.Int("--normal-label", "The label of normal rows (default: the run's)");
        var threshold = new Option<double?>("--threshold") { Description = "Flag scores above this (default: the threshold stored in the run)" };
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default: RUN/score)" };
        var command = new Command("score", "Score new data with a trained anomaly detector: its scaling and threshold come from the run")
        {
            from, data, labelColumn, labels, normalLabel, threshold, backend, output,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            var (checkpoint, folder) = CheckpointSource.Resolve(r.GetValue(from)!);
            string path = r.GetValue(data)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"--data {path}: no such file", path);
            if (r.GetValue(threshold) is { } t && !double.IsFinite(t)) throw new ArgumentException($"--threshold {t}: expected a finite number");
            string outDir = r.GetValue(output) ?? Path.Combine(folder, "score");
            using var held = OutputFolder.Open(outDir, r.GetValue(output) is null ? $"--from {r.GetValue(from)}" : $"--out {outDir}", "gpuae score");
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            using var detector = AnomalyDetector.Load(b, checkpoint, r.GetValue(threshold));
            var scaling = detector.Scaling;

            string? column = r.GetValue(labelColumn) ?? (r.GetValue(labels) is null && scaling.LabelColumn is { } run && AnomalyOnData.HasColumn(path, run) ? run : null);
            var (samples, _, _) = DataSource.ReadSamples(path, column, features: scaling.Features);
            if (r.GetValue(labels) is not null || column is not null)
                samples = AnomalyOnData.WithLabels(samples, path, column, r.GetValue(labels), "--data");
            int? normal = r.GetValue(normalLabel) ?? detector.NormalLabel;
            if (samples.Labels is not null && normal is null)
                throw new ArgumentException($"--data {path} has labels: give --normal-label V (the run does not record one) to evaluate the scores");

            double[] scores = detector.Score(samples);
            bool[] flagged = detector.Decide(scores);
            AnomalyOutputs.WriteScores(Path.Combine(outDir, AnomalyOutputs.ScoresFile), Enumerable.Range(0, samples.Count)
                .Select(i => new AnomalyOutputs.ScoredRow(i, null, samples.Labels?[i], scores[i], flagged[i])).ToList());
            var summary = new JsonObject
            {
                ["from"] = checkpoint,
                ["data"] = path,
                ["model"] = detector.Trainer.Model.Name,
                ["threshold"] = detector.Threshold,
                ["threshold_rule"] = detector.Rule.KindName,
                ["score_definition"] = AnomalyDetector.ScoreDescription,
                ["rows"] = samples.Count,
                ["flagged"] = flagged.Count(f => f),
            };
            AnsiConsole.MarkupLine(Markup.Escape($"{detector.Trainer.Model.Name}, {detector}"));
            AnsiConsole.MarkupLine($"{flagged.Count(f => f)} of {samples.Count} rows of {Markup.Escape(path)} flagged anomalous");
            var written = new List<string> { AnomalyOutputs.ScoresFile, SummaryFile };
            string title = $"{detector.Trainer.Model.Name} on {Path.GetFileName(path)}";
            bool[]? anomalous = samples.Labels?.Select(l => l != normal).ToArray();
            if (anomalous is not null && anomalous.Distinct().Count() == 2)
            {
                var evaluation = AnomalyEvaluation.Compute(scores, anomalous, detector.Threshold);
                summary["normal_label"] = normal;
                summary["anomalies"] = evaluation.Anomalies;
                AnomalyOutputs.AddMetrics(summary, evaluation);
                AnsiConsole.MarkupLine(Markup.Escape(AnomalyOutputs.Describe(evaluation)));
                written.AddRange(AnomalyOutputs.WriteCharts(outDir, title, scores.Where((_, i) => !anomalous[i]).ToList(), "normal",
                    scores.Where((_, i) => anomalous[i]).ToList(), "anomalous", detector.Threshold, (scores, anomalous)));
            }
            else
            {
                if (anomalous is not null)
                    AnsiConsole.MarkupLine($"[yellow]note: every row is {(anomalous[0] ? "anomalous" : "normal")} by its label: no ROC AUC or precision-recall[/]");
                written.AddRange(AnomalyOutputs.WriteCharts(outDir, title, [], "normal", scores, "scored", detector.Threshold, null));
            }
            AnomalyOutputs.WriteJson(Path.Combine(outDir, SummaryFile), summary);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(string.Join(", ", written))} to {Markup.Escape(outDir)}");
            return 0;
        }));
        return command;
    }
}

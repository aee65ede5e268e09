using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAe.Analysis;
using GpuAe.IO;
using GpuAe.Reports;

namespace GpuAe.Cli.Commands;

/// <summary>What `gpuae anomaly` (on your own data) and `gpuae score` write: scores.csv, the JSON summary and the pictures
/// (score histograms with the threshold; with labels ROC and precision-recall curves).</summary>
internal static class AnomalyOutputs
{
    public const string ScoresFile = "scores.csv", HistogramFile = "scores.png", RocFile = "roc.png", PrFile = "pr.png";

    /// <summary>One scored row: its 0-based index among the data rows of its file, what it was used for (or null), its label
    /// (or null), score and decision.</summary>
    public readonly record struct ScoredRow(int Row, string? Split, int? Label, double Score, bool Anomalous);

    /// <summary>scores.csv: row[,split][,label],score,decision (1 = flagged anomalous); the optional columns when any row has them.</summary>
    public static void WriteScores(string path, IReadOnlyList<ScoredRow> rows)
    {
        bool split = rows.Any(r => r.Split is not null), label = rows.Any(r => r.Label is not null);
        var csv = new StringBuilder("row");
        if (split) csv.Append(",split");
        if (label) csv.Append(",label");
        csv.Append(",score,decision\n");
        foreach (var r in rows)
        {
            csv.Append(r.Row.ToString(CultureInfo.InvariantCulture));
            if (split) csv.Append(',').Append(r.Split);
            if (label) csv.Append(',').Append(r.Label?.ToString(CultureInfo.InvariantCulture));
            csv.Append(',').Append(r.Score.ToString("R", CultureInfo.InvariantCulture)).Append(r.Anomalous ? ",1\n" : ",0\n");
        }
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(csv.ToString())));
    }

    /// <summary>The metrics of <paramref name="evaluation"/> as JSON fields (roc_auc, average_precision, precision, recall, f1, ...).</summary>
    public static void AddMetrics(JsonObject json, AnomalyEvaluation evaluation)
    {
        json["roc_auc"] = evaluation.RocAuc;
        json["average_precision"] = evaluation.AveragePrecision;
        json["precision"] = evaluation.Precision;
        json["recall"] = evaluation.Recall;
        json["f1"] = evaluation.F1;
        json["false_positive_rate"] = evaluation.FalsePositiveRate;
        json["true_positives"] = evaluation.TruePositives;
        json["false_positives"] = evaluation.FalsePositives;
        json["true_negatives"] = evaluation.TrueNegatives;
        json["false_negatives"] = evaluation.FalseNegatives;
    }

    public static void WriteJson(string path, JsonObject json)
    {
        string text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(text + "\n")));
    }

    /// <summary>The pictures: the score histogram always (normal vs the other group), and with labels ROC and PR curves.
    /// Returns the files written.</summary>
    public static List<string> WriteCharts(string folder, string title, IReadOnlyList<double> normal, string normalName,
        IReadOnlyList<double> other, string otherName, double threshold, (double[] Scores, bool[] Anomalous)? labelled)
    {
        var written = new List<string>();
        void Save(Chart chart, string file)
        {
            using (chart) chart.SavePngAndSvg(Path.Combine(folder, file));
            written.AddRange([file, Path.ChangeExtension(file, ".svg")]);
        }
        Save(AnomalyCharts.ScoreHistogram($"{title}: scores", "reconstruction error", normal, normalName, other, otherName, threshold), HistogramFile);
        if (labelled is { } l)
        {
            var (roc, auc) = Roc.Compute(l.Scores, l.Anomalous);
            Save(Charts.Roc(string.Create(CultureInfo.InvariantCulture, $"{title}: ROC AUC {auc:0.000}"), "reconstruction error", roc, auc), RocFile);
            var (pr, ap) = PrecisionRecall.Compute(l.Scores, l.Anomalous);
            double share = l.Anomalous.Count(a => a) / (double)l.Anomalous.Length;
            Save(AnomalyCharts.PrecisionRecall(string.Create(CultureInfo.InvariantCulture, $"{title}: AP {ap:0.000}"), "reconstruction error", pr, ap, share), PrFile);
        }
        return written;
    }

    /// <summary>"ROC AUC 0.9512, AP 0.9630; at the threshold precision 0.91, recall 0.88, F1 0.89 (12 of 107 normal flagged)".</summary>
    public static string Describe(AnomalyEvaluation e) => string.Create(CultureInfo.InvariantCulture,
        $"ROC AUC {e.RocAuc:0.0000}, average precision {e.AveragePrecision:0.0000}; at the threshold: precision {e.Precision:0.000}, recall {e.Recall:0.000}, " +
        $"F1 {e.F1:0.000} ({e.TruePositives} of {e.Anomalies} anomalies and {e.FalsePositives} of {e.Normals} normal samples flagged)");
}

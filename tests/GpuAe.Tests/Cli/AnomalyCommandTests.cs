using System.Globalization;
using System.Text.Json;
using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Tests.Data;

namespace GpuAe.Tests.Cli;

/// <summary>`gpuae anomaly` on the user's data and `gpuae score`: the shipped breast-cancer table, generated tables and
/// arrays, and the errors they can cause.</summary>
[Collection("cli")]
public class AnomalyCommandTests
{
    /// <summary>tests/data/breast_cancer.csv: scikit-learn's Wisconsin table, 569 rows, 30 features, target 1 = benign.</summary>
    internal static string BreastCancer
    {
        get
        {
            string? root = AppContext.BaseDirectory;
            while (root is not null && !File.Exists(Path.Combine(root, "GpuAe.sln"))) root = Path.GetDirectoryName(root);
            return Path.Combine(root ?? throw new InvalidOperationException("no GpuAe.sln above the test binaries"), "tests", "data", "breast_cancer.csv");
        }
    }

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static string[][] Csv(string path) => File.ReadAllLines(path).Select(l => l.Split(',')).ToArray();

    [Fact]
    public void Breast_cancer_end_to_end_anomaly_then_score_reproduces_the_scores()
    {
        using var dir = new TempDirectory();
        string run = Path.Combine(dir.Path, "run");
        var (code, output, error) = CliRunner.Run("anomaly", "--data", BreastCancer, "--label-column", "target", "--normal-label", "1",
            "--train-rows", "250", "--epochs", "40", "--backend", "cpu", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("tabular-30-16-4: dense 16 relu > dense 4 linear > dense 16 relu > dense 30 linear", output);
        Assert.Contains("250 normal rows to train on, 107 held out for the threshold", output);
        foreach (string file in new[] { "model.safetensors", "scores.csv", "anomaly.json", "scores.png", "scores.svg", "roc.png", "roc.svg", "pr.png", "pr.svg" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing");

        var summary = Json(Path.Combine(run, "anomaly.json"));
        Assert.Equal((569, 250, 107, 319, 212), (summary.GetProperty("rows").GetInt32(), summary.GetProperty("train_normals").GetInt32(),
            summary.GetProperty("held_out_normals").GetInt32(), summary.GetProperty("evaluated_rows").GetInt32(), summary.GetProperty("anomalies").GetInt32()));
        double auc = summary.GetProperty("roc_auc").GetDouble(), threshold = summary.GetProperty("threshold").GetDouble();
        Assert.True(auc > 0.8, $"ROC AUC {auc} after 40 epochs");
        Assert.True(summary.GetProperty("average_precision").GetDouble() > 0.8);
        foreach (string field in new[] { "precision", "recall", "f1", "false_positive_rate", "true_positives", "false_negatives" })
            Assert.True(summary.TryGetProperty(field, out _), field);

        var rows = Csv(Path.Combine(run, "scores.csv"));
        Assert.Equal(["row", "split", "label", "score", "decision"], rows[0]);
        Assert.Equal(570, rows.Length);
        var data = rows.Skip(1).ToArray();
        Assert.Equal((250, 107, 212), (data.Count(r => r[1] == "train"), data.Count(r => r[1] == "holdout"), data.Count(r => r[1] == "anomaly")));
        Assert.All(data, r => Assert.Equal(r[1] == "anomaly" ? "0" : "1", r[2]));
        Assert.All(data, r => Assert.Equal(double.Parse(r[3], CultureInfo.InvariantCulture) > threshold ? "1" : "0", r[4]));
        // the 99th percentile of the held-out normal scores, recomputed from the file
        var held = data.Where(r => r[1] == "holdout").Select(r => double.Parse(r[3], CultureInfo.InvariantCulture)).Order().ToArray();
        double position = 0.99 * (held.Length - 1);
        int low = (int)position;
        Assert.Equal(held[low] + (held[low + 1] - held[low]) * (position - low), threshold, 12);
        var metadata = SafeTensors.Read(Path.Combine(run, "model.safetensors")).Metadata;
        Assert.Contains("\"normal_label\":1", metadata["gpuae.anomaly"]);
        Assert.Equal(ScaleKind.Standard, InputScaling.FromJson(metadata[InputScaling.MetadataKey], "test").Kind);

        // the deployment step: the same rows scored from the checkpoint alone give the same scores and decisions
        string scored = Path.Combine(dir.Path, "scored");
        (code, output, error) = CliRunner.Run("score", "--from", run, "--data", BreastCancer, "--backend", "cpu", "--out", scored);
        Assert.True(code == 0, error);
        Assert.Contains(" of 569 rows of ", output);
        var again = Csv(Path.Combine(scored, "scores.csv"));
        Assert.Equal(["row", "label", "score", "decision"], again[0]);
        Assert.Equal(data.Select(r => (r[0], r[2], r[3], r[4])), again.Skip(1).Select(r => (r[0], r[1], r[2], r[3])));
        var scoreSummary = Json(Path.Combine(scored, "score.json"));
        Assert.Equal(threshold, scoreSummary.GetProperty("threshold").GetDouble());
        Assert.Equal(212, scoreSummary.GetProperty("anomalies").GetInt32());
        Assert.True(File.Exists(Path.Combine(scored, "roc.png")));

        // a file without the label column is scored without metrics; columns are found by name, extra ones ignored
        string unlabelled = dir.File("new.csv");
        var lines = File.ReadAllLines(BreastCancer);
        File.WriteAllLines(unlabelled, lines.Take(6).Select(l => "extra," + string.Join(',', l.Split(',')[..^1])).Select((l, i) => i == 0 ? l : "9," + l[(l.IndexOf(',') + 1)..]));
        (code, output, error) = CliRunner.Run("score", "--from", run, "--data", unlabelled, "--backend", "cpu", "--out", Path.Combine(dir.Path, "new"));
        Assert.True(code == 0, error);
        var newScores = Csv(Path.Combine(dir.Path, "new", "scores.csv"));
        Assert.Equal(["row", "score", "decision"], newScores[0]);
        // (a batch of 5 rows instead of 32 changes the float32 rounding in the last digits, not more)
        Assert.All(data.Take(5).Zip(newScores.Skip(1)), p =>
            Assert.Equal(double.Parse(p.First[3], CultureInfo.InvariantCulture), double.Parse(p.Second[1], CultureInfo.InvariantCulture), 1e-6));
        Assert.False(Json(Path.Combine(dir.Path, "new", "score.json")).TryGetProperty("roc_auc", out _));

        (code, _, error) = CliRunner.Run("score", "--from", run, "--data", unlabelled, "--backend", "cpu", "--threshold", "0", "--out", Path.Combine(dir.Path, "zero"));
        Assert.True(code == 0, error);
        Assert.All(Csv(Path.Combine(dir.Path, "zero", "scores.csv")).Skip(1), r => Assert.Equal("1", r[2]));
    }

    /// <summary>A table whose normal rows follow a 2-D pattern in 5 columns; anomalies (label 9) break it. A constant column too.</summary>
    private static string Table(TempDirectory dir, string name, int rows, bool labelled, int seed, bool anomaliesToo = true)
    {
        var rng = new System.Random(seed);
        var lines = new List<string> { labelled ? "a,b,c,d,e,flat,kind" : "a,b,c,d,e,flat" };
        for (int i = 0; i < rows; i++)
        {
            bool odd = anomaliesToo && i % 4 == 3;
            double u = rng.NextDouble(), v = rng.NextDouble(), w = odd ? rng.NextDouble() * 3 : 0;
            string row = string.Create(CultureInfo.InvariantCulture, $"{u},{v},{u + v + w},{u - v},{2 * u - w},5");
            lines.Add(labelled ? $"{row},{(odd ? 9 : 2)}" : row);
        }
        File.WriteAllLines(dir.File(name), lines);
        return dir.File(name);
    }

    [Fact]
    public void Separate_train_and_score_files_with_and_without_labels_and_a_target_false_positive_rate()
    {
        using var dir = new TempDirectory();
        string normal = Table(dir, "normal.csv", 120, labelled: false, seed: 1, anomaliesToo: false);
        string incoming = Table(dir, "incoming.csv", 40, labelled: false, seed: 2);
        string run = Path.Combine(dir.Path, "run");
        var (code, output, error) = CliRunner.Run("anomaly", "--train", normal, "--score", incoming, "--target-fpr", "0.05", "--layers", "4,2",
            "--epochs", "30", "--backend", "cpu", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("note: feature 'flat' is constant on the training split: scale 1, so it becomes 0", output);
        Assert.Contains("tabular-6-4-2", output);
        Assert.Contains("84 normal rows to train on, 36 held out", output);
        Assert.Contains("(false-positive rate 0.05 of 36 held-out normal samples)", output);
        Assert.Contains("rows of " + incoming + " flagged (no labels: no metrics)", output);
        var summary = Json(Path.Combine(run, "anomaly.json"));
        Assert.Equal("false_positive_rate", summary.GetProperty("threshold_rule").GetString());
        Assert.False(summary.TryGetProperty("roc_auc", out _));
        var rows = Csv(Path.Combine(run, "scores.csv"));
        Assert.Equal(["row", "score", "decision"], rows[0]); // every row is from --score: no split column
        Assert.Equal(41, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.True(double.IsFinite(double.Parse(r[1], CultureInfo.InvariantCulture))));
        Assert.True(File.Exists(Path.Combine(run, "scores.png")));
        Assert.False(File.Exists(Path.Combine(run, "roc.png")));

        string labelled = Table(dir, "labelled.csv", 40, labelled: true, seed: 3);
        (code, output, error) = CliRunner.Run("anomaly", "--train", normal, "--score", labelled, "--label-column", "kind", "--normal-label", "2",
            "--layers", "4,2", "--epochs", "30", "--backend", "cpu", "--out", Path.Combine(dir.Path, "run2"));
        Assert.True(code == 0, error);
        var metrics = Json(Path.Combine(dir.Path, "run2", "anomaly.json"));
        Assert.Equal((40, 10), (metrics.GetProperty("evaluated_rows").GetInt32(), metrics.GetProperty("anomalies").GetInt32()));
        Assert.True(metrics.GetProperty("roc_auc").GetDouble() > 0.8, $"ROC AUC {metrics.GetProperty("roc_auc")}");
    }

    [Fact]
    public void Npy_images_with_an_idx_labels_file()
    {
        using var dir = new TempDirectory();
        var rng = new System.Random(4);
        const int n = 48;
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 3 == 0 ? 1 : 0)).ToArray();
        // class 0: a bright left half; class 1: a bright right half
        var pixels = Enumerable.Range(0, n * 64).Select(p => (float)(((p % 8 < 4) == (labels[p / 64] == 0) ? 0.8 : 0.1) + 0.1 * rng.NextDouble())).ToArray();
        string npy = NpyFiles.Float32(dir.File("images.npy"), [n, 1, 8, 8], pixels);
        string labelFile = IdxFiles.WriteUInt8(dir.File("labels.idx"), [n], labels);
        string run = Path.Combine(dir.Path, "run");

        var (code, _, error) = CliRunner.Run("anomaly", "--data", npy, "--normal-label", "0", "--backend", "cpu", "--out", run);
        Assert.Equal(1, code);
        Assert.Equal($"error: --data {npy}: the file has no labels; give --labels FILE (IDX of unsigned bytes, or a 1-D .npy, one class per sample)", error.Trim());

        (code, var output, error) = CliRunner.Run("anomaly", "--data", npy, "--labels", labelFile, "--normal-label", "0", "--epochs", "20",
            "--batch", "8", "--backend", "cpu", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("dense32: ", output);
        Assert.Contains("scaling none", output);
        Assert.True(Json(Path.Combine(run, "anomaly.json")).GetProperty("roc_auc").GetDouble() > 0.9);

        string wrongCount = IdxFiles.WriteUInt8(dir.File("few.idx"), [n - 1], labels[1..]);
        (code, _, error) = CliRunner.Run("anomaly", "--data", npy, "--labels", wrongCount, "--normal-label", "0", "--backend", "cpu", "--out", run);
        Assert.Equal(1, code);
        Assert.Equal($"error: {wrongCount}: 47 labels for the 48 samples of 'images.npy'", error.Trim());
    }

    [Theory]
    [InlineData("one-class", "label column 'target' holds one class only (1); anomaly detection on --data needs normal rows and anomalies (or use --train NORMAL --score DATA)")]
    [InlineData("--label-column nope", "--label-column: no column 'nope' in the header")]
    [InlineData("--normal-label 7", "no row has --normal-label 7 in label column 'target' (classes present: 0, 1)")]
    [InlineData("no-normal-label", "give --normal-label V, the label of normal rows (the others are the anomalies)")]
    [InlineData("no-label-column", "give --label-column C, the column holding each row's class")]
    [InlineData("--percentile 150", "--percentile 150: expected a percentile between 0 and 100 (exclusive)")]
    [InlineData("--percentile 90 --target-fpr 0.1", "--percentile and --target-fpr exclude each other; give one")]
    [InlineData("--holdout 0.2 --train-rows 10", "--holdout and --train-rows exclude each other; give one")]
    [InlineData("--train-rows 357", "--train-rows 357: there are 357 normal rows, and at least one must be held out")]
    [InlineData("--model dense32 --layers 8,2", "--layers shapes the default tabular model; it does not apply with --model")]
    [InlineData("--model conv", "conv is a convolutional model for images [C, H, W]; got samples of shape [30] (use a dense preset for tables)")]
    [InlineData("--model dense32", "uses binary cross-entropy, which needs [0, 1] targets: use --scale minmax, or a model with MSE loss")]
    [InlineData("--layers 16,x", "--layers 16,x: expected comma-separated widths of at least 1, e.g. 16,4 (the last is the code)")]
    [InlineData("--scale log", "--scale log: expected standard, minmax or none")]
    [InlineData("--train other.csv", "--data and --train/--score exclude each other")]
    public void Bad_input_gets_one_clear_line(string options, string expected)
    {
        using var dir = new TempDirectory();
        string data = BreastCancer;
        var args = new List<string> { "anomaly", "--backend", "cpu", "--epochs", "1", "--out", Path.Combine(dir.Path, "run") };
        if (options == "one-class")
        {
            data = dir.File("benign.csv");
            File.WriteAllLines(data, File.ReadAllLines(BreastCancer).Where((l, i) => i == 0 || l.EndsWith(",1")));
        }
        args.AddRange(["--data", data]);
        if (options != "no-label-column" && !options.StartsWith("--label-column")) args.AddRange(["--label-column", "target"]);
        if (options != "no-normal-label" && !options.StartsWith("--normal-label")) args.AddRange(["--normal-label", "1"]);
        if (options.StartsWith("--")) args.AddRange(options.Split(' '));
        var (code, output, error) = CliRunner.Run([.. args]);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("Exception", error);
        Assert.DoesNotContain("epoch", output);
    }

    [Theory]
    [InlineData("--train", "--train needs --score DATA too")]
    [InlineData("--score", "--score needs --train NORMAL too")]
    [InlineData("none", "give --normal-class K (MNIST protocol), --data FILE with --normal-label V, or --train NORMAL --score DATA")]
    public void Mode_errors(string given, string expected)
    {
        using var dir = new TempDirectory();
        var args = new List<string> { "anomaly", "--backend", "cpu", "--out", Path.Combine(dir.Path, "run") };
        if (given != "none") args.AddRange([given, BreastCancer]);
        var (code, _, error) = CliRunner.Run([.. args]);
        Assert.Equal(1, code);
        Assert.Equal($"error: {expected}", error.Trim());
    }

    [Fact]
    public void Score_refuses_a_run_without_threshold_and_data_of_another_shape()
    {
        using var dir = new TempDirectory();
        string normal = Table(dir, "normal.csv", 40, labelled: false, seed: 5, anomaliesToo: false);
        string run = Path.Combine(dir.Path, "train");
        var (code, _, error) = CliRunner.Run("train", "--data", normal, "--model", "mlp256", "--backend", "cpu", "--epochs", "1", "--out", run);
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run("score", "--from", run, "--data", normal, "--backend", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("no anomaly threshold (metadata 'gpuae.anomaly'); it was not written by gpuae anomaly (give a threshold to score with it)", error);
        (code, var output, error) = CliRunner.Run("score", "--from", run, "--data", normal, "--threshold", "0.5", "--backend", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains("threshold 0.5 (given as 0.5", output);
        Assert.True(File.Exists(Path.Combine(run, "score", "scores.csv")));

        string narrow = dir.File("narrow.csv");
        File.WriteAllLines(narrow, ["a,b", "1,2"]);
        (code, _, error) = CliRunner.Run("score", "--from", run, "--data", narrow, "--threshold", "0.5", "--backend", "cpu");
        Assert.Equal(1, code);
        Assert.Equal($"error: {narrow}: no column 'c', which the model was trained on, in the header (a, b)", error.Trim());
        (code, _, error) = CliRunner.Run("score", "--from", run, "--data", dir.File("missing.csv"), "--threshold", "0.5", "--backend", "cpu");
        Assert.Equal(1, code);
        Assert.Equal($"error: --data {dir.File("missing.csv")}: no such file", error.Trim());
    }

    [SkippableFact]
    public void One_class_protocol_runs_on_fashion_mnist()
    {
        Skip.IfNot(Mnist.IsPresent(DataSource.FashionMnistDirectory), $"Fashion-MNIST is not installed in {DataSource.FashionMnistDirectory} (apt-get install dataset-fashion-mnist)");
        using var dir = new TempDirectory();
        var (code, output, error) = CliRunner.Run("anomaly", "--data", "fashion-mnist", "--normal-class", "1", "--epochs", "2", "--backend", "cpu", "--out", dir.Path);
        Assert.True(code == 0, error);
        var auc = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"normal class 1: ROC AUC ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(auc > 0.9, $"trousers vs the rest: ROC AUC {auc}");
        Assert.Equal(10_001, File.ReadAllLines(Path.Combine(dir.Path, "scores-1.csv")).Length);

        (code, _, error) = CliRunner.Run("anomaly", "--data", "fashion-mnist", "--normal-class", "1", "--normal-label", "1", "--backend", "cpu", "--out", dir.Path);
        Assert.Equal(1, code);
        Assert.Equal("error: --normal-label is for your own data; the --normal-class protocol takes its labels from the data set", error.Trim());
    }
}

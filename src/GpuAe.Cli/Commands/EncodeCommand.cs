using System.CommandLine;
using System.Globalization;
using System.Text;
using GpuAe.Analysis;
using GpuAe.Data;
using GpuAe.IO;
using GpuAe.Training;
using GpuAe.Reports;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae encode --from RUN`: latent codes of a data set from a trained checkpoint, as CSV and .npy,
/// and latent.png, a scatter of the codes coloured by digit (the first two dimensions, or the first two
/// principal components of the code when it has more).</summary>
internal static class EncodeCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Run folder with model.safetensors (or the file itself)", Required = true };
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var split = new Option<string>("--split") { Description = "test | train", DefaultValueFactory = _ => "test" };
        var count = CliOptions.Int("--count", "Encode only the first N samples");
        var data = new Option<string?>("--data") { Description = "Data to encode, read with the run's columns and scaling: a folder or named dataset (its --split), or a file, encoded whole (default: the run's data)" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default: the --from folder)" };
        var command = new Command("encode", "Write the latent codes of a data set (codes.csv, codes.npy) and latent.png") { from, backend, split, count, data, output };
        command.SetAction(r => CliErrors.Run(() =>
        {
            CliOptions.AtLeast("--count", r.GetValue(count), 1);
            var (checkpoint, folder) = CheckpointSource.Resolve(r.GetValue(from)!);
            string outDir = r.GetValue(output) ?? folder;
            using var held = OutputFolder.Open(outDir, r.GetValue(output) is null ? $"--from {r.GetValue(from)}" : $"--out {outDir}", "gpuae encode");

            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            var (train, test, _) = RunData.Load(checkpoint, r.GetValue(data));
            var set = r.GetValue(split) switch
            {
                "test" => test,
                "train" => train,
                var other => throw new ArgumentException($"--split {other}: expected test or train"),
            };
            int n = Math.Min(r.GetValue(count) ?? set.Count, set.Count);
            set = set.Subset(0, n);

            using var trainer = Checkpoint.Load(b, checkpoint);
            using var device = new DeviceDataset(b, set);
            int k = trainer.CodeSize;
            var codes = trainer.Encode(device, n);

            Npy.Write(Path.Combine(outDir, "codes.npy"), codes, n, k);
            WriteCsv(Path.Combine(outDir, "codes.csv"), codes, n, k, set.Labels);
            var (points, xLabel, yLabel) = Plane(codes, n, k, set.Labels);
            using (var chart = Charts.LatentScatter($"{trainer.Model.Name}: {n:N0} {r.GetValue(split)} codes ({k}-D), coloured by label", points, xLabel, yLabel))
                chart.SavePng(Path.Combine(outDir, "latent.png"));
            AnsiConsole.MarkupLine($"wrote codes.csv, codes.npy ({n} x {k}) and latent.png to {Markup.Escape(outDir)}");
            double mean = 0;
            foreach (float v in codes) mean += v;
            AnsiConsole.MarkupLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"mean code activation: {mean / codes.Length:0.0000}"));
            return 0;
        }));
        return command;
    }

    private static void WriteCsv(string path, float[] codes, int n, int k, byte[]? labels)
    {
        var text = new StringBuilder("label");
        for (int j = 0; j < k; j++) text.Append(",z").Append(j + 1);
        text.Append('\n');
        for (int i = 0; i < n; i++)
        {
            text.Append(labels is null ? "" : labels[i].ToString(CultureInfo.InvariantCulture));
            for (int j = 0; j < k; j++) text.Append(',').Append(codes[(long)i * k + j].ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Two coordinates per sample: the code itself when it is 1- or 2-D, else its first two principal components.</summary>
    private static (List<(double X, double Y, int Label)> Points, string XLabel, string YLabel) Plane(float[] codes, int n, int k, byte[]? labels)
    {
        int Label(int i) => labels?[i] ?? 0;
        var points = new List<(double, double, int)>(n);
        if (k <= 2)
        {
            for (int i = 0; i < n; i++) points.Add((codes[(long)i * k], k == 2 ? codes[(long)i * k + 1] : 0, Label(i)));
            return (points, "z₁", k == 2 ? "z₂" : "");
        }
        using var cpu = new GpuAe.Backends.Cpu.CpuBackend("managed");
        var asData = new Dataset("codes", codes, n, 1, 1, k);
        var projected = Pca.Fit(cpu, asData).Encode(asData, 2);
        for (int i = 0; i < n; i++) points.Add((projected[2L * i], projected[2L * i + 1], Label(i)));
        return (points, "PC1 of the code", "PC2 of the code");
    }
}

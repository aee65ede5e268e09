using System.CommandLine;
using GpuAe.Data;
using GpuAe.Training;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae reconstruct --from RUN`: test digits over their reconstructions, from a trained checkpoint; for a VAE
/// with a 2-D latent also latent_grid.png, the decoder over a grid of the latent.</summary>
internal static class ReconstructCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Run folder with model.safetensors (or the file itself)", Required = true };
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var count = CliOptions.Int("--count", "Digits in the grid, 1-64 (default: 16)");
        var data = new Option<string?>("--data") { Description = "Images to reconstruct, read with the run's scaling (default: the run's test data)" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default: the --from folder)" };
        var command = new Command("reconstruct", "Write reconstructions.png (test originals over reconstructions) for a trained model, and latent_grid.png for a 2-D VAE")
        {
            from, backend, count, data, output,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            int n = r.GetValue(count) ?? 16;
            if (n is < 1 or > 64) throw new ArgumentException($"--count must be in 1..64, got {n}");
            var (checkpoint, folder) = CheckpointSource.Resolve(r.GetValue(from)!);
            string outDir = r.GetValue(output) ?? folder;
            using var held = OutputFolder.Open(outDir, r.GetValue(output) is null ? $"--from {r.GetValue(from)}" : $"--out {outDir}", "gpuae reconstruct");
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!);
            using var __ = b;
            var (_, test, isImage) = RunData.Load(checkpoint, r.GetValue(data));
            if (!isImage)
                throw new ArgumentException($"--from {r.GetValue(from)}: the model was trained on table rows, not images, so there are no pictures to draw");
            n = Math.Min(n, test.Count);
            using var trainer = Checkpoint.Load(b, checkpoint);
            using var testSet = new DeviceDataset(b, test.Subset(0, n));
            var outputs = new TrainingOutputs(outDir);
            outputs.WriteReconstructions(trainer, testSet, n, $"{trainer.Model.Name} (epoch {trainer.Epoch})");
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(outputs.Path("reconstructions.png"))}");
            if (trainer.Model.LossPerImage && trainer.CodeSize == 2)
            {
                outputs.WriteLatentGrid(trainer, test.Height, test.Width,
                    $"{trainer.Model.Name} (epoch {trainer.Epoch}): decoder over the 2-D latent at N(0,1) quantiles 0.05..0.95");
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(outputs.Path("latent_grid.png"))}");
            }
            return 0;
        }));
        return command;
    }
}

using System.CommandLine;
using GpuAe.Interop;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae import --torch FILE.safetensors --model PRESET|SPEC.json --out RUN`: a PyTorch state_dict becomes a
/// weights-only GpuAe checkpoint, RUN/model.safetensors, that encode, reconstruct, export and train --resume read.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var torch = new Option<string>("--torch") { Description = "A PyTorch state_dict saved with safetensors (float32): GpuAe names (layers.N.weight, as benchmarks/compare/torch_rebuild.py writes) or an nn.Sequential's (K.weight, K.bias)", Required = true };
        var model = new Option<string>("--model", "-m") { Description = "The model the weights belong to: a preset (see `gpuae presets`) or a model spec FILE.json", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Run folder to write model.safetensors into (must not hold one yet)", Required = true };
        var seed = CliOptions.Int("--seed", "Seed recorded for later training (default: 1)");
        var command = new Command("import", "Turn PyTorch weights (a safetensors state_dict) into a GpuAe checkpoint (weights only)") { torch, model, output, seed };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string source = r.GetValue(torch)!, outDir = r.GetValue(output)!;
            if (!File.Exists(source)) throw new FileNotFoundException($"--torch {source}: no such file", source);
            var preset = ModelChoice.Resolve(r.GetValue(model)!);
            using var held = OutputFolder.Open(outDir, $"--out {outDir}", "gpuae import");
            string checkpoint = Path.Combine(outDir, TrainingOutputs.CheckpointFile);
            if (File.Exists(checkpoint))
                throw new IOException($"--out {outDir}: already holds {TrainingOutputs.CheckpointFile}; import into a new folder (nothing was overwritten)");
            var result = TorchImport.Import(source, preset.Model, preset.Recipe, checkpoint, r.GetValue(seed) ?? 1);
            string naming = result.Naming == TorchNaming.GpuAe ? "GpuAe names" : "nn.Sequential names";
            AnsiConsole.MarkupLine(Markup.Escape(
                $"imported {result.Tensors} tensors ({naming}) for model {preset.Model.Name} into {checkpoint} (weights only: training starts a fresh optimizer)"));
            return 0;
        }));
        return command;
    }
}

using System.CommandLine;
using GpuAe.Interop.Onnx;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae export --onnx --from RUN`: the checkpoint as model.onnx, encoder.onnx and decoder.onnx (opset 17), for
/// ONNX Runtime and other engines.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var onnx = new Option<bool>("--onnx") { Description = "Write ONNX (opset 17): model.onnx, encoder.onnx, decoder.onnx (the only format so far)" };
        var from = new Option<string>("--from") { Description = "Run folder with model.safetensors (or the file itself)", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default: the --from folder)" };
        var command = new Command("export", "Export a trained model for other engines: --onnx writes model.onnx (input -> reconstruction), encoder.onnx (input -> code; a VAE's mean and log_var) and decoder.onnx (code -> reconstruction)")
        {
            onnx, from, output,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            if (!r.GetValue(onnx)) throw new ArgumentException("export: name the format, --onnx (the only one so far)");
            var (checkpoint, folder) = CheckpointSource.Resolve(r.GetValue(from)!);
            string outDir = r.GetValue(output) ?? folder;
            using var held = OutputFolder.Open(outDir, r.GetValue(output) is null ? $"--from {r.GetValue(from)}" : $"--out {outDir}", "gpuae export");
            var written = OnnxExport.Write(checkpoint, outDir);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(string.Join(", ", written.Select(Path.GetFileName)))} (ONNX opset {OnnxExport.Opset}) to {Markup.Escape(outDir)}");
            return 0;
        }));
        return command;
    }
}

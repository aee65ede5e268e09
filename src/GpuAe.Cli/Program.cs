using System.CommandLine;
using GpuAe.Cli.Commands;
using Spectre.Console;

namespace GpuAe.Cli;

internal static class Program
{
    internal static int Main(string[] args)
    {
        if (Console.IsOutputRedirected)
        {
            // Logs and pipes: plain text, one line per message, no wrapping at 80 columns.
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Width = 240;
        }
        var root = new RootCommand("gpuae: train autoencoders on MNIST with hand-written GPU kernels (CUDA, OpenCL) or the CPU reference backend")
        {
            TrainCommand.Create(),
            DevicesCommand.Create(),
            PresetsCommand.Create(),
            SelftestCommand.Create(),
            BenchCommand.Create(),
            PcaCommand.Create(),
            EncodeCommand.Create(),
            AnomalyCommand.Create(),
            ScoreCommand.Create(),
            ReconstructCommand.Create(),
            ExportCommand.Create(),
            ImportCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}

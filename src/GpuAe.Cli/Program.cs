using System.CommandLine;
using GpuAe.Cli.Commands;

namespace GpuAe.Cli;

internal static class Program
{
    internal static int Main(string[] args)
    {
        var root = new RootCommand("gpuae: train autoencoders on MNIST with hand-written GPU kernels (CUDA, OpenCL) or the CPU reference backend")
        {
            TrainCommand.Create(),
            DevicesCommand.Create(),
            PresetsCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}

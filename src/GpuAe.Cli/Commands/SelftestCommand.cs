using System.CommandLine;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Conformance;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae selftest --backend X`: the conformance suite, every kernel of X against the CPU reference;
/// exit 0 only if all pass. The CPU backend itself is checked against its float64 build.</summary>
internal static class SelftestCommand
{
    public static Command Create()
    {
        var backend = new Option<string>("--backend", "-b") { Description = "cpu | opencl | cuda", DefaultValueFactory = _ => "opencl" };
        var device = new Option<string?>("--device") { Description = "OpenCL device: index, P:D, gpu, cpu or part of its name" };
        var kernels = new Option<string[]>("--kernel", "--only") { Description = "Only these kernels (repeatable), e.g. Gemm, MaxPoolForward" };
        var precision = new Option<string?>("--precision") { Description = "CUDA GEMM: fp32 | tf32" };
        var seed = CliOptions.Int("--seed", $"Seed of the test inputs (default: {ConformanceSuite.DefaultSeed})");
        var command = new Command("selftest", "Check every kernel of a backend against the CPU reference") { backend, device, kernels, precision, seed };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string name = r.GetValue(backend)!;
            var (subject, _) = BackendChooser.Create(name, r.GetValue(device), precision: r.GetValue(precision));
            using var __ = subject;
            using IBackend reference = subject is CpuBackend ? new CpuBackend<double>("managed") : new CpuBackend("managed");
            AnsiConsole.MarkupLine($"subject   [bold]{Markup.Escape(subject.DeviceName)}[/]");
            AnsiConsole.MarkupLine($"reference {Markup.Escape(reference.DeviceName)}");
            var only = r.GetValue(kernels) is { Length: > 0 } k ? k : null;
            var report = ConformanceSuite.Run(reference, subject, line => Console.WriteLine(line), r.GetValue(seed) ?? ConformanceSuite.DefaultSeed, only);
            if (report.Kernels.Count == 0) throw new ArgumentException($"no kernel matches; kernels: {string.Join(", ", ConformanceSuite.KernelNames)}");
            AnsiConsole.MarkupLine(report.AllPassed
                ? $"[green]all {report.Kernels.Count} kernels passed[/]"
                : $"[red]{report.FailedKernels} of {report.Kernels.Count} kernels failed[/]");
            return report.AllPassed ? 0 : 2;
        }));
        return command;
    }
}

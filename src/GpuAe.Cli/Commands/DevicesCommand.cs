using System.CommandLine;
using GpuAe.Backends.Cpu;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae devices`: every backend and device this machine offers.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the backends and devices available on this machine");
        command.SetAction(_ => CliErrors.Run(() =>
        {
            var table = new Table().AddColumns("backend", "device", "status");
            using (var cpu = new CpuBackend()) table.AddRow("cpu", Markup.Escape(cpu.DeviceName), "[green]available[/]");
            table.AddRow("opencl", "-", "[grey]not part of this build yet[/]");
            table.AddRow("cuda", "-", "[grey]not part of this build yet[/]");
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}

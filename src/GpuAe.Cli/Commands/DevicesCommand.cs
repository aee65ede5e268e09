using System.CommandLine;
using GpuAe.Backends.Cpu;
using GpuAe.Backends.OpenCL;
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
            var table = new Table().AddColumns("backend", "device", "details");
            using (var cpu = new CpuBackend()) table.AddRow("cpu", Markup.Escape(CpuInfo.ModelName), Markup.Escape(cpu.DeviceName));
            var devices = OpenClBackend.ListDevices(out string? problem);
            foreach (var d in devices)
                table.AddRow($"opencl [grey]--device {d.Index}[/]", Markup.Escape(d.Name),
                    Markup.Escape($"{d.Type}, {d.ComputeUnits} compute units, {Units.Bytes(d.GlobalMemoryBytes)}, {d.Version}, driver {d.DriverVersion}, platform {d.Platform}"));
            if (devices.Count == 0) table.AddRow("opencl", "-", $"[yellow]{Markup.Escape(problem ?? "no device")}[/]");
            if (GpuAe.Backends.Cuda.CudaBackend.TryCreate(0, null, out var cuda, out string why))
                using (cuda) table.AddRow("cuda [grey]--device 0[/]", Markup.Escape(cuda!.DeviceName), "");
            else table.AddRow("cuda", "-", $"[yellow]{Markup.Escape(why)}[/]");
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}

using System.CommandLine;
using GpuAe.Models;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae presets`: the built-in models with their recipes.</summary>
internal static class PresetsCommand
{
    public static Command Create()
    {
        var command = new Command("presets", "List the built-in autoencoders (--model NAME)");
        command.SetAction(_ =>
        {
            var table = new Table().AddColumns("model", "recipe", "description");
            foreach (var p in Presets.All)
                table.AddRow(p.Name, $"{p.Recipe.Optimizer} lr {p.Recipe.LearningRate:g3}, batch {p.Recipe.BatchSize}, {p.Recipe.Epochs} epochs",
                    Markup.Escape(p.Description + (p.Reference is null ? "" : $" [{p.Reference}]")));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}

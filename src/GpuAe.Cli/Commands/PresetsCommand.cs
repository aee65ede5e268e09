using System.CommandLine;
using GpuAe.Models;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae presets`: the built-in models with their recipes.</summary>
internal static class PresetsCommand
{
    public static Command Create()
    {
        var json = new Option<string?>("--json") { Description = "Print preset NAME's model spec as JSON, to edit and pass as --model FILE.json" };
        var command = new Command("presets", "List the built-in autoencoders (--model NAME), or print one's model spec (--json NAME)") { json };
        command.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(json) is { } name)
            {
                Console.Out.WriteLine(Presets.Get(name).Model.ToJson());
                return 0;
            }
            var table = new Table().AddColumns("model", "recipe", "description");
            foreach (var p in Presets.All)
                table.AddRow(p.Name, $"{p.Recipe.Optimizer} lr {p.Recipe.LearningRate:g3}, batch {p.Recipe.BatchSize}, {p.Recipe.Epochs} epochs",
                    Markup.Escape(p.Description + (p.Reference is null ? "" : $" [{p.Reference}]")));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}

using GpuAe.Data;
using GpuAe.Training;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>The data a later command (encode, reconstruct) reads for a trained checkpoint: the same kind, columns and
/// scaling the model was trained with (checkpoint metadata <see cref="InputScaling.MetadataKey"/>).</summary>
internal static class RunData
{
    /// <summary>Train and test sets for <paramref name="checkpoint"/>: from <paramref name="data"/> (--data) when given, else
    /// the run's own data; MNIST for a checkpoint that predates the stored preparation. Also whether samples are images.</summary>
    public static (Dataset Train, Dataset Test, bool IsImage) Load(string checkpoint, string? data)
    {
        void Report(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
        var saved = Checkpoint.Read(checkpoint);
        var preparation = InputScaling.Read(checkpoint);
        if (preparation is null)
        {
            var (train, test) = Mnist.Load(MnistLocator.Locate(data, Report));
            return (train, test, true);
        }
        string? recorded = saved.Run?.Data?.Source is { } source && Path.Exists(source) ? source : null;
        var (trainSet, testSet) = DataSource.LoadLike(data, preparation, recorded, saved.Seed, Report);
        return (trainSet, testSet, preparation.IsImage);
    }
}

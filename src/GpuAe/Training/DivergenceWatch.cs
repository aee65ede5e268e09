using System.Globalization;

namespace GpuAe.Training;

/// <summary>
/// Spots a run that is blowing up while its loss is still finite (a NaN or infinite loss already stops training with
/// <see cref="TrainingDivergedException"/>): a training loss over <see cref="GrowthFactor"/> times the run's first one,
/// or over <see cref="HugeLoss"/> (far above any loss of [0,1] images, per pixel or per image). Warns once.
/// </summary>
/// <param name="firstLoss">The first epoch's training loss when resuming (from the history), else null.</param>
public sealed class DivergenceWatch(double? firstLoss = null)
{
    public const double GrowthFactor = 1e3, HugeLoss = 1e8;
    private double? _first = firstLoss;
    private bool _warned;

    /// <summary>A warning naming the learning rate, the first time <paramref name="epoch"/>'s loss looks divergent; else null.</summary>
    public string? Check(EpochMetrics epoch, float learningRate)
    {
        _first ??= epoch.TrainLoss;
        if (_warned) return null;
        double first = _first.Value;
        string? why = epoch.TrainLoss > HugeLoss ? $"above {HugeLoss:0e0}"
            : first > 0 && epoch.TrainLoss > GrowthFactor * first ? $"over {GrowthFactor:0} times the first epoch's {first:g4}"
            : null;
        if (why is null) return null;
        _warned = true;
        return string.Create(CultureInfo.InvariantCulture,
            $"training loss {epoch.TrainLoss:g4} in epoch {epoch.Epoch} is {why}: training is diverging at learning rate {learningRate:g4}; lower it (--lr)");
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using GpuAe.Models;

namespace GpuAe.Training;

/// <summary>
/// A run's per-epoch decisions: the learning rate of the next epoch (the recipe's <see cref="LearningRateSchedule"/>,
/// PyTorch's recursive forms in double) and early stopping on the validation loss (<see cref="EarlyStoppingSpec"/>).
/// Its whole state goes into the checkpoint (<see cref="ToJson"/>), so a resumed run decides exactly as an uninterrupted one.
/// </summary>
internal sealed class EpochControl(TrainingRecipe recipe)
{
    internal const string MetadataKey = "gpuae.epoch_control";

    /// <summary>The learning rate of the next epoch (PyTorch's param_group['lr']).</summary>
    public double LearningRate { get; private set; } = recipe.InitialLearningRate;

    // ReduceLROnPlateau: best monitored value, epochs without improvement, cooldown epochs left
    private double _plateauBest = double.PositiveInfinity;
    private int _plateauBad, _cooldown;

    // early stopping: best validation loss and its epoch (0: none yet), epochs since
    public double BestLoss { get; private set; } = double.PositiveInfinity;
    public int BestEpoch { get; private set; }
    private int _wait;

    /// <summary>Why training should stop (early stopping's patience ran out), or null.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Records the finished epoch <paramref name="epoch"/> (1-based) and steps the schedule; returns whether its
    /// validation loss is the best so far (by more than the minimum delta; only with early stopping).</summary>
    public bool EndEpoch(int epoch, double trainLoss, double validationLoss)
    {
        bool improved = false;
        if (recipe.EarlyStopping is { } stop)
        {
            // Keras: an improvement is a loss below the best minus min_delta; stop after `patience` epochs without one
            if (validationLoss < BestLoss - stop.MinDelta)
            {
                BestLoss = validationLoss;
                BestEpoch = epoch;
                _wait = 0;
                improved = true;
            }
            else if (++_wait >= stop.Patience && StopReason is null)
                StopReason = string.Create(CultureInfo.InvariantCulture,
                    $"validation loss did not improve by more than {stop.MinDelta:g} for {stop.Patience} epochs (best {BestLoss:g6} at epoch {BestEpoch})");
        }
        LearningRate = recipe.Schedule switch
        {
            StepLrSchedule s => epoch % s.StepSize == 0 ? LearningRate * s.Gamma : LearningRate,
            CosineLrSchedule c => Cosine(c, epoch),
            PlateauLrSchedule p => Plateau(p, double.IsNaN(validationLoss) ? trainLoss : validationLoss),
            _ => LearningRate,
        };
        return improved;
    }

    /// <summary>CosineAnnealingLR.get_lr at last_epoch = <paramref name="epoch"/> (&gt; 0), its recursive form.</summary>
    private double Cosine(CosineLrSchedule c, int epoch)
    {
        double tMax = c.TMax ?? throw new InvalidOperationException("cosine schedule without t_max (TrainingRecipe.WithResolvedSchedule)");
        double initial = recipe.InitialLearningRate;
        long cycle = 2 * (long)tMax;
        if (((epoch - 1 - (long)tMax) % cycle + cycle) % cycle == 0)
            return LearningRate + (initial - c.EtaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
        return (1 + Math.Cos(Math.PI * epoch / tMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / tMax)) * (LearningRate - c.EtaMin) + c.EtaMin;
    }

    /// <summary>ReduceLROnPlateau.step(monitored), mode min, threshold_mode rel, its eps 1e-8.</summary>
    private double Plateau(PlateauLrSchedule p, double monitored)
    {
        if (monitored < _plateauBest * (1 - p.Threshold))
        {
            _plateauBest = monitored;
            _plateauBad = 0;
        }
        else _plateauBad++;
        if (_cooldown > 0)
        {
            _cooldown--;
            _plateauBad = 0;
        }
        double rate = LearningRate;
        if (_plateauBad > p.Patience)
        {
            double reduced = Math.Max(rate * p.Factor, p.MinLr);
            if (rate - reduced > 1e-8) rate = reduced;
            _cooldown = p.Cooldown;
            _plateauBad = 0;
        }
        return rate;
    }

    /// <summary>The state as checkpoint metadata (doubles round-trip exactly; infinity as null).</summary>
    public string ToJson() => new JsonObject
    {
        ["learning_rate"] = LearningRate,
        ["plateau_best"] = Finite(_plateauBest),
        ["plateau_bad_epochs"] = _plateauBad,
        ["plateau_cooldown"] = _cooldown,
        ["best_loss"] = Finite(BestLoss),
        ["best_epoch"] = BestEpoch,
        ["wait"] = _wait,
        ["stopped"] = StopReason,
    }.ToJsonString();

    /// <summary>Restores <see cref="ToJson"/>'s state; errors name <paramref name="path"/> and the member.</summary>
    public void Restore(string json, string path)
    {
        var f = JsonFields.ParseObject(json, path, $"metadata '{MetadataKey}'", MetadataKey + ".");
        double rate = f.Double("learning_rate");
        if (!(rate >= 0)) throw f.Error("learning_rate", string.Create(CultureInfo.InvariantCulture, $"= {rate} is negative"));
        LearningRate = rate;
        _plateauBest = f.Has("plateau_best") ? f.Double("plateau_best") : double.PositiveInfinity;
        _plateauBad = f.Int("plateau_bad_epochs", min: 0);
        _cooldown = f.Int("plateau_cooldown", min: 0);
        BestLoss = f.Has("best_loss") ? f.Double("best_loss") : double.PositiveInfinity;
        BestEpoch = f.Int("best_epoch", min: 0);
        _wait = f.Int("wait", min: 0);
        StopReason = f.Has("stopped") ? f.String("stopped") : null;
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}

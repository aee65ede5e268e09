namespace GpuAe.Training;

/// <summary>
/// What `--resume` reads back from a run's metrics.json: whose run it is, when it started and the epoch history.
/// (The checkpoint, not this file, holds what training needs; this keeps the history and the start time going.)
/// </summary>
public sealed record RunMetrics(string Model, int Seed, DateTimeOffset? Started, IReadOnlyList<EpochMetrics> Epochs)
{
    /// <summary>
    /// Parses metrics.json text. Members other than these are ignored: "model", "seed", "started" (optional, ISO 8601),
    /// "epochs" (objects with "epoch" &gt;= 1 in increasing order, "train_loss", "epoch_seconds", "samples_per_second"
    /// and optional "val_loss", "val_mse", "learning_rate").
    /// </summary>
    /// <param name="json">The file's text.</param>
    /// <param name="path">The file, for error messages.</param>
    /// <exception cref="InvalidDataException">Anything wrong; the message names <paramref name="path"/> and the member. No other exception.</exception>
    public static RunMetrics Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = JsonFields.ParseObject(json, path);
        var epochs = new List<EpochMetrics>();
        foreach (var e in root.Objects("epochs"))
        {
            int epoch = e.Int("epoch", min: 1);
            if (epochs.Count > 0 && epoch <= epochs[^1].Epoch)
                throw e.Error("epoch", $"= {epoch} does not follow epoch {epochs[^1].Epoch}");
            epochs.Add(new EpochMetrics(epoch, e.Double("train_loss"), e.Double("val_loss", optional: true), e.Double("val_mse", optional: true),
                e.Double("epoch_seconds"), e.Double("samples_per_second")) { LearningRate = e.Double("learning_rate", optional: true) });
        }
        return new RunMetrics(root.String("model"), root.Int("seed"), root.Has("started") ? root.Time("started") : null, epochs);
    }
}

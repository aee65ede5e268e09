using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAe.Analysis;
using GpuAe.Data;
using GpuAe.IO;
using GpuAe.Models;
using GpuAe.Reports;
using GpuAe.Training;

namespace GpuAe.Cli.Commands;

/// <summary>
/// What `gpuae train --out DIR` leaves behind, rewritten after every epoch so an interrupted run loses
/// nothing: metrics.json, model.safetensors (atomic), loss.png (and loss.svg) and reconstructions.png.
/// </summary>
internal sealed class TrainingOutputs(string directory)
{
    public const string MetricsFile = "metrics.json", CheckpointFile = "model.safetensors", BestCheckpointFile = "best.safetensors";
    public const string LossChartFile = "loss.png", ReconstructionsFile = "reconstructions.png";
    private readonly List<EpochMetrics> _history = [];

    public string Directory { get; } = directory;
    public string Path(string file) => System.IO.Path.Combine(Directory, file);
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Mean code activation on the test set after training (written to metrics.json when set).</summary>
    public double? MeanCodeActivation { get; set; }

    /// <summary>What the run was made with (written to metrics.json when set).</summary>
    public RunInfo? Run { get; set; }

    /// <summary>When the run first started (kept across --resume).</summary>
    public DateTimeOffset Started { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Continues the epoch history and start time of the run in <paramref name="fromDirectory"/> (for --resume),
    /// checking that its metrics.json belongs to the checkpoint's run.</summary>
    public void LoadHistory(string fromDirectory, SavedCheckpoint checkpoint)
    {
        string file = System.IO.Path.Combine(fromDirectory, MetricsFile);
        if (!File.Exists(file)) return;
        var metrics = RunMetrics.Parse(File.ReadAllText(file), file);
        if (metrics.Model != checkpoint.Model.Name || metrics.Seed != checkpoint.Seed)
            throw new InvalidDataException(
                $"{file} is from another run (model {metrics.Model}, seed {metrics.Seed}) than {checkpoint.Path} (model {checkpoint.Model.Name}, seed {checkpoint.Seed})");
        _history.AddRange(metrics.Epochs.Where(m => m.Epoch <= checkpoint.Epoch));
        if (metrics.Started is { } started) Started = started;
    }

    public void Add(EpochMetrics metrics) => _history.Add(metrics);

    public void WriteMetrics(Trainer trainer, string device, long plannedBytes, long naiveBytes)
    {
        var root = new JsonObject
        {
            ["model"] = trainer.Model.Name,
            ["backend"] = trainer.Backend.Name,
            ["device"] = device,
            ["seed"] = trainer.Seed,
            ["optimizer"] = trainer.Recipe.Optimizer.ToString().ToLowerInvariant(),
            ["learning_rate"] = trainer.Recipe.LearningRate,
            // the batch in effect (the requested one clamped to the training samples) and the requested one
            ["batch_size"] = Run?.BatchUsed ?? trainer.Recipe.BatchSize,
            ["batch_size_requested"] = trainer.Recipe.BatchSize,
            ["train_samples"] = Run?.TrainSamples,
            ["precision"] = Run?.Precision,
            ["cpu_gemm"] = Run?.CpuGemm,
            ["data"] = Run?.Data?.ToJson(),
            ["started"] = Started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["parameters"] = trainer.ParameterCount,
            ["code_size"] = trainer.CodeSize,
            ["noise"] = trainer.Recipe.Noise,
            ["planned_arena_bytes"] = plannedBytes,
            ["naive_arena_bytes"] = naiveBytes,
            ["loss"] = trainer.Model.Loss.ToString(),
            // the preset's own epoch count and published number, next to what this run did (--epochs may differ)
            ["preset_epochs"] = Models.Presets.All.FirstOrDefault(p => p.Name == trainer.Model.Name)?.Recipe.Epochs,
            ["reference"] = Models.Presets.All.FirstOrDefault(p => p.Name == trainer.Model.Name)?.Reference,
            // train_loss and val_loss are per image for a VAE (BCE summed over pixels + beta·KL), else per pixel
            ["loss_unit"] = trainer.Model.LossPerImage ? "per_image" : "per_pixel",
            ["epochs"] = new JsonArray(_history.Select(m => (JsonNode)new JsonObject
            {
                ["epoch"] = m.Epoch,
                ["train_loss"] = m.TrainLoss,
                ["val_loss"] = Finite(m.ValLoss),
                ["val_mse"] = Finite(m.ValMse),
                ["epoch_seconds"] = m.EpochSeconds,
                ["samples_per_second"] = m.SamplesPerSecond,
                ["learning_rate"] = Finite(m.LearningRate),
            }).ToArray()),
        };
        AddRecipeDetails(root, trainer);
        if (trainer.Model.Penalties.Count > 0) root["penalties"] = string.Join(", ", trainer.Model.Penalties);
        if (MeanCodeActivation is { } mean) root["mean_code_activation"] = mean;
        string json = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(Path(MetricsFile), s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>The optimizer's hyper-parameters in effect, the schedule, and early stopping's best epoch and why the run stopped.</summary>
    private static void AddRecipeDetails(JsonObject root, Trainer trainer)
    {
        var recipe = trainer.Recipe;
        var step = recipe.OptimizerStepAt(recipe.InitialLearningRate, 1);
        root["optimizer_settings"] = new JsonObject
        {
            ["rule"] = step.Kind.ToString().ToLowerInvariant(),
            ["defaults"] = recipe.OptimizerDefaults.ToString().ToLowerInvariant(),
            ["beta1"] = step.Beta1,
            ["beta2"] = step.Beta2,
            ["epsilon"] = step.Epsilon,
            ["rho"] = step.Rho,
            ["momentum"] = step.Momentum,
            ["dampening"] = step.Dampening,
            ["centered"] = step.Centered,
            ["weight_decay"] = step.WeightDecay,
        };
        root["lr_schedule"] = recipe.Schedule?.ToString();
        root["next_learning_rate"] = trainer.LearningRate;
        if (recipe.EarlyStopping is { } stop)
            root["early_stopping"] = new JsonObject
            {
                ["patience"] = stop.Patience,
                ["min_delta"] = stop.MinDelta,
                ["best_epoch"] = trainer.BestEpoch > 0 ? trainer.BestEpoch : null,
                ["best_val_loss"] = Finite(trainer.BestLoss),
                ["best_checkpoint"] = trainer.BestEpoch > 0 ? BestCheckpointFile : null,
            };
        // why training ended (or "running" while it goes on): early stopping's reason, or the planned epochs reached
        root["stop_reason"] = trainer.StopReason is { } reason ? $"early stopping: {reason}" : null;
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>loss.png and loss.svg: training and validation loss per epoch, the y axis naming the loss and its unit
    /// as metrics.json's loss_unit does (per image for a VAE, else the mean per pixel).</summary>
    public void WriteLossChart(string title, ModelSpec model)
    {
        string loss = model.Loss switch
        {
            ReconstructionLoss.BinaryCrossEntropy => "BCE",
            ReconstructionLoss.BinaryCrossEntropyOnProbabilities => "BCE (probabilities)",
            ReconstructionLoss.MeanSquaredError => "MSE",
            ReconstructionLoss.MeanAbsoluteError => "MAE",
            var other => other.ToString(),
        };
        // code penalties add to the training loss only; validation is the reconstruction loss alone
        string penalties = model.Penalties.Count == 0 ? "" : $" (train + {string.Join(" + ", model.Penalties)})";
        string kl = model.Layers.Any(l => l is VaeLatentSpec) ? " + KL" : "";
        string axis = model.LossPerImage ? $"{loss} summed over pixels{kl}, per image{penalties}" : $"{loss}, mean per pixel{penalties}";
        using var chart = Charts.LossCurves(title, axis, _history.Select(m => m.Epoch).ToList(), _history.Select(m => m.TrainLoss).ToList(),
                                            _history.Select(m => m.ValLoss).ToList());
        chart.SavePngAndSvg(Path(LossChartFile));
    }

    /// <summary>latent_grid.png: decoder outputs over an n x n grid of a 2-D latent at the standard normal's
    /// quantiles 0.05 .. 0.95 (a VAE's prior), z1 across, z2 down (largest at the top).</summary>
    public void WriteLatentGrid(Trainer trainer, int height, int width, string title, int n = 20)
    {
        if (trainer.CodeSize != 2) throw new ArgumentException($"{trainer.Model.Name}: a latent grid needs a 2-D code, the model's has {trainer.CodeSize}");
        var values = Enumerable.Range(0, n).Select(i => NormalDistribution.Quantile(0.05 + 0.9 * i / (n - 1))).ToArray();
        var codes = new float[2 * n * n];
        for (int row = 0; row < n; row++)
            for (int col = 0; col < n; col++)
            {
                codes[2 * (row * n + col)] = (float)values[col];
                codes[2 * (row * n + col) + 1] = (float)values[n - 1 - row];
            }
        var images = trainer.Decode(codes);
        int size = height * width;
        using var grid = ImageGrid.LatentGrid(title, images, values, height, width);
        grid.SavePng(Path("latent_grid.png"));
    }

    /// <summary>reconstructions.png: test digits over their reconstructions; for a denoising model the noisy inputs
    /// it was given sit between them. <paramref name="label"/> starts the title (model name, epoch).</summary>
    public void WriteReconstructions(Trainer trainer, DeviceDataset test, int count, string label)
    {
        count = Math.Min(count, test.Count);
        var originals = test.Host.Images.AsSpan(0, count * test.Host.SampleSize).ToArray();
        var reconstructions = trainer.Reconstruct(test, count);
        (string, float[])[] rows = trainer.Recipe.Noise > 0
            ? [("original", originals), ("noisy input", trainer.NoisyInputs(test, count)), ("denoised", reconstructions)]
            : [("original", originals), ("reconstructed", reconstructions)];
        string title = trainer.Recipe.Noise > 0
            ? $"{label}: test digits, inputs with noise {trainer.Recipe.Noise:g3}, reconstructions"
            : $"{label}: test digits (top) and reconstructions (bottom)";
        using var grid = ImageGrid.Rows(title, rows, count, test.Host.Height, test.Host.Width);
        grid.SavePng(Path(ReconstructionsFile));
    }
}

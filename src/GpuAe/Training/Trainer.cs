using System.Diagnostics;
using GpuAe.Backends;
using GpuAe.Models;
using GpuAe.Random;

namespace GpuAe.Training;

/// <summary>Metrics of one epoch; losses are means per pixel, or per image for a VAE (<see cref="ModelSpec.LossPerImage"/>);
/// the MSE is always per pixel.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double ValLoss, double ValMse, double EpochSeconds, double SamplesPerSecond)
{
    /// <summary>The learning rate the epoch trained with (the schedule's; NaN when not recorded).</summary>
    public double LearningRate { get; init; } = double.NaN;

    /// <summary>With early stopping: the epoch's validation loss is the best so far (its weights are the ones to keep).</summary>
    public bool IsBest { get; init; }
}

/// <summary>Loss (per pixel, or per image for a VAE) and MSE (per pixel) of a model over a data set.</summary>
public readonly record struct Evaluation(double Loss, double Mse);

/// <summary>
/// Trains one autoencoder on one backend. Each step replays a pre-built plan (gather a shuffled batch on
/// the device, forward, fused loss+gradient, backward, one optimizer launch); the host reads the loss
/// accumulators back once per epoch. Same seed, same backend: same bits.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly Network _network;
    private readonly DeviceBuffer _accumulators;
    private readonly PlanInputs _inputs = new();
    private readonly Dictionary<(PlanKind, int), CompiledPlan> _plans = [];
    private readonly ulong _seed;
    private (CompiledPlan Plan, DeviceDataset Data, int Steps, IStepReplay Replay)? _captured;
    private readonly EpochControl _control;

    /// <summary>A trainer with fresh parameters (seeded) and optimizer state. A cosine schedule without T_max gets the
    /// recipe's epochs (<see cref="Recipe"/> shows it).</summary>
    /// <exception cref="ArgumentException">A recipe value is out of range; the message names it.</exception>
    public Trainer(IBackend backend, ModelSpec model, TrainingRecipe recipe, int seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(recipe);
        if (recipe.BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {recipe.BatchSize}");
        if (!(recipe.LearningRate > 0) || !float.IsFinite(recipe.LearningRate))
            throw new ArgumentException($"learning rate must be a positive finite number, got {recipe.LearningRate}");
        if (!(recipe.Noise >= 0) || !float.IsFinite(recipe.Noise))
            throw new ArgumentException($"noise factor must be a finite number >= 0 (0: no denoising), got {recipe.Noise}");
        if (recipe.Problems() is [var problem, ..]) throw new ArgumentException($"training recipe: {problem}");
        recipe = recipe.WithResolvedSchedule();
        Backend = backend;
        Model = model;
        Recipe = recipe;
        _control = new EpochControl(recipe);
        Seed = seed;
        _seed = (ulong)(uint)seed;
        _network = new Network(backend, model);
        _accumulators = backend.Allocate(TrainLossLanes + 2);
        _network.Parameters.Initialize(SeedFor("init"));
        _inputs.LatentSeed = SeedFor("latent");
        _inputs.EvalLatentSeed = SeedFor("latent-eval");
    }

    public IBackend Backend { get; }
    public ModelSpec Model { get; }
    public TrainingRecipe Recipe { get; }
    public int Seed { get; }

    /// <summary>Optimizer steps taken so far (Adam's t).</summary>
    public int Step { get; private set; }

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; private set; }

    /// <summary>The learning rate the next epoch trains with: the recipe's, moved by its schedule after every epoch.</summary>
    public double LearningRate => _control.LearningRate;

    /// <summary>With early stopping: the epoch with the best validation loss so far (0 before the first), and that loss.</summary>
    public int BestEpoch => _control.BestEpoch;

    /// <inheritdoc cref="BestEpoch"/>
    public double BestLoss => _control.BestLoss;

    /// <summary>Why training should stop (early stopping's patience ran out), or null to go on. <see cref="TrainEpoch"/>
    /// still trains when asked; stopping is the caller's loop's decision.</summary>
    public string? StopReason => _control.StopReason;

    public long ParameterCount => _network.Parameters.Count;

    /// <summary>When set, training steps synchronise after every launch and add each step's seconds here
    /// (keyed by step name, e.g. "layers.1.gemm"). Slower: for finding where an epoch's time goes.</summary>
    public Dictionary<string, double>? StepProfile { get; set; }

    /// <summary>Kernel launches per training step, by entry (largest first), of the last epoch trained with
    /// <see cref="StepProfile"/> set on a GPU backend (<see cref="GpuBackend.Launches"/>); null otherwise.</summary>
    public IReadOnlyList<(string Entry, double PerStep)>? StepLaunches { get; private set; }
    internal Network Network => _network;

    /// <summary>Parameter gradients on the backend's second stream where it has one (default: true), overlapping
    /// the data-gradient chain. False keeps one stream, the reference order: the same bits, to measure the overlap.
    /// Set it before the first plan is built (the first epoch, evaluation or <see cref="TrainingMemory"/>).</summary>
    public bool SideStream
    {
        get => _network.SideStream;
        set
        {
            if (_plans.Count > 0 && value != _network.SideStream)
                throw new InvalidOperationException("SideStream must be set before the first plan is built");
            _network.SideStream = value;
        }
    }

    /// <summary>Arena bytes of the training plan after buffer reuse, and without it.</summary>
    public (long Planned, long Naive) TrainingMemory(int sampleCount)
    {
        var plan = Plan(PlanKind.Train, Math.Min(Recipe.BatchSize, sampleCount)).Plan;
        return (plan.PlannedBytes, plan.NaiveBytes);
    }

    /// <summary>The compiled training plan for <paramref name="sampleCount"/> samples (built now if it was not yet): what
    /// <see cref="Analysis.RooflineBytes"/> counts the traffic of.</summary>
    internal Graph.ExecutionPlan TrainingPlan(int sampleCount) => Plan(PlanKind.Train, Math.Min(Recipe.BatchSize, sampleCount)).Plan;

    /// <summary>One pass over <paramref name="train"/> in a fresh shuffled order (drop-last: every step
    /// has a full batch, so one plan serves the whole epoch), at <see cref="LearningRate"/>; then the validation loss,
    /// early stopping (<see cref="StopReason"/>, <see cref="EpochMetrics.IsBest"/>) and the schedule's next rate.</summary>
    /// <param name="cancellation">Checked after every step (after <paramref name="progress"/> heard of it). Cancelled, the
    /// epoch stops with <see cref="OperationCanceledException"/>: the steps taken stay applied and counted in
    /// <see cref="Step"/>, <see cref="Epoch"/> does not advance (nor the schedule or early stopping), so the next
    /// epoch reshuffles for the same epoch number.</param>
    /// <exception cref="ArgumentException">Early stopping without <paramref name="validation"/>.</exception>
    public EpochMetrics TrainEpoch(DeviceDataset train, DeviceDataset? validation = null, IProgress<double>? progress = null,
        CancellationToken cancellation = default)
    {
        CheckCompatible(train);
        if (Recipe.EarlyStopping is not null && validation is null)
            throw new ArgumentException($"{Model.Name}: early stopping watches the validation loss; give TrainEpoch a validation data set");
        double learningRate = LearningRate;
        var watch = Stopwatch.StartNew();
        int batch = Math.Min(Recipe.BatchSize, train.Count), steps = train.Count / batch;
        var order = new int[train.Count];
        Philox.Permutation(order, SeedFor("shuffle"), (ulong)Epoch << 32);
        train.SetOrder(order);
        var plan = Plan(PlanKind.Train, batch);
        Backend.Fill(_accumulators.Slice(0, TrainLossLanes), 0f);
        _inputs.Use(train);
        if (Backend is IStepCapture capture && StepProfile is null)
            ReplayCaptured(capture, plan, train, steps, progress, cancellation);
        else
        {
            var launches = StepProfile is null ? null : (Backend as GpuBackend)?.Launches;
            launches?.Reset();
            for (int s = 0; s < steps; s++)
            {
                _inputs.Start = s * batch;
                Step++;
                if (StepProfile is null) plan.Plan.Run();
                else plan.Plan.RunProfiled(Backend, StepProfile);
                progress?.Report((s + 1) / (double)steps);
                cancellation.ThrowIfCancellationRequested();
            }
            if (launches is not null) StepLaunches = launches.ByEntry().Select(e => (e.Entry, e.Launches / (double)steps)).ToList();
        }
        double trainLoss = ReadTrainLoss() / steps;
        if (!double.IsFinite(trainLoss))
            throw new TrainingDivergedException(
                $"{Model.Name}: training loss became {trainLoss} in epoch {Epoch + 1} (learning rate {learningRate:g4}); lower the learning rate or check the data");
        double seconds = watch.Elapsed.TotalSeconds;
        Epoch++;
        var eval = validation is null ? new Evaluation(double.NaN, double.NaN) : Evaluate(validation);
        bool best = _control.EndEpoch(Epoch, trainLoss, eval.Loss);
        return new EpochMetrics(Epoch, trainLoss, eval.Loss, eval.Mse, seconds, steps * batch / seconds) { LearningRate = learningRate, IsBest = best };
    }

    /// <summary>
    /// The epoch as graph replays: the step is captured once per (plan, data set) with the batch start at 0,
    /// and the per-step optimizer values go to the device once per epoch; no host sync until the loss read-back.
    /// </summary>
    private void ReplayCaptured(IStepCapture capture, CompiledPlan plan, DeviceDataset train, int steps, IProgress<double>? progress,
        CancellationToken cancellation)
    {
        if (_captured is null || _captured.Value.Plan != plan || _captured.Value.Data != train || _captured.Value.Steps < steps)
        {
            _captured?.Replay.Dispose();
            _inputs.Start = 0;
            _captured = (plan, train, steps, capture.CaptureStep(plan.Plan.Run, steps));
        }
        var table = new OptimizerStep[steps];
        for (int s = 0; s < steps; s++) table[s] = OptimizerStepAt(Step + 1 + s);
        var replay = _captured.Value.Replay;
        replay.BeginEpoch(table);
        for (int s = 0; s < steps; s++)
        {
            replay.Replay();
            Step++;
            progress?.Report((s + 1) / (double)steps);
            cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The optimizer step <paramref name="step"/> at the current epoch's rate (under capture, one table row).</summary>
    private OptimizerStep OptimizerStepAt(int step) => Recipe.OptimizerStepAt(_control.LearningRate, step);

    /// <summary>Mean loss and MSE per pixel over the whole data set (in order, every sample).</summary>
    public Evaluation Evaluate(DeviceDataset data)
    {
        CheckCompatible(data);
        data.SetOrder(Enumerable.Range(0, data.Count).ToArray());
        Backend.Fill(_accumulators.Slice(TrainLossLanes, 2), 0f);
        ForEachBatch(data, data.Count, (_, _, _) => { });
        Span<float> sums = stackalloc float[2];
        Backend.Download(_accumulators.Slice(TrainLossLanes, 2), sums);
        return new Evaluation(sums[0] / data.Count, sums[1] / data.Count);
    }

    /// <summary>Reconstructions of the first <paramref name="count"/> samples, [count, C*H*W] row-major. A denoising
    /// model (<see cref="TrainingRecipe.Noise"/> &gt; 0) reconstructs the noisy inputs of <see cref="NoisyInputs"/>.</summary>
    public float[] Reconstruct(DeviceDataset data, int count) => Collect(data, count, p => p.Reconstruction, _network.SampleSize);

    /// <summary>What the model sees for the first <paramref name="count"/> samples in evaluation: the inputs with the
    /// evaluation noise of a denoising model (the same for every call), else the samples themselves.</summary>
    public float[] NoisyInputs(DeviceDataset data, int count) => Collect(data, count, p => p.Input, _network.SampleSize);

    /// <summary>Latent codes of the first <paramref name="count"/> samples, [count, code size] row-major. Always of
    /// the clean samples, also for a denoising model.</summary>
    public float[] Encode(DeviceDataset data, int count) => Clean(() => Collect(data, count, p => p.Code, (int)_network.CodeShape.ElementCount));

    private T Clean<T>(Func<T> evaluate)
    {
        _inputs.Noisy = false;
        try { return evaluate(); }
        finally { _inputs.Noisy = true; }
    }

    public int CodeSize => (int)_network.CodeShape.ElementCount;

    /// <summary>
    /// Decoder outputs of <paramref name="codes"/> ([count, <see cref="CodeSize"/>] row-major, e.g. points of a
    /// VAE's latent): the layers after the code layer, output activation applied; [count, C*H*W] row-major.
    /// </summary>
    public float[] Decode(ReadOnlySpan<float> codes)
    {
        int k = CodeSize, size = _network.SampleSize;
        if (codes.Length % k != 0)
            throw new ArgumentException($"{Model.Name}: codes hold {codes.Length} values, not a whole number of {k}-value codes", nameof(codes));
        int count = codes.Length / k, batch = Math.Min(Recipe.BatchSize, Math.Max(1, count));
        var result = new float[(long)count * size];
        using var input = Backend.Allocate((long)batch * k);
        for (int start = 0; start < count; start += batch)
        {
            int rows = Math.Min(batch, count - start);
            using var plan = _network.BuildDecodePlan(rows, input.Slice(0, (long)rows * k));
            Backend.Upload(input.Slice(0, (long)rows * k), codes.Slice(start * k, rows * k));
            plan.Plan.Run();
            Backend.Download(plan.Plan[plan.Reconstruction], result.AsSpan(start * size, rows * size));
        }
        return result;
    }

    /// <summary>Mean of every code value over the whole data set (the Keras blog's <c>encoded_imgs.mean()</c> on the test
    /// set: 3.33 for the sparse autoencoder, about 7.3 for dense32). Summed in double, in sample order.</summary>
    public double MeanCodeActivation(DeviceDataset data)
    {
        var codes = Encode(data, data.Count);
        double sum = 0;
        foreach (float v in codes) sum += v;
        return codes.Length == 0 ? double.NaN : sum / codes.Length;
    }

    /// <summary>Mean squared reconstruction error of every (clean) sample (the anomaly score of the one-class protocol).</summary>
    public double[] ReconstructionErrors(DeviceDataset data)
    {
        int size = _network.SampleSize;
        var reconstruction = Clean(() => Reconstruct(data, data.Count));
        var errors = new double[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            double sum = 0;
            var original = data.Host.Sample(i);
            for (int j = 0; j < size; j++)
            {
                double e = reconstruction[(long)i * size + j] - original[j];
                sum += e * e;
            }
            errors[i] = sum / size;
        }
        return errors;
    }

    private float[] Collect(DeviceDataset data, int count, Func<CompiledPlan, Graph.Tensor> pick, int width)
    {
        CheckCompatible(data);
        count = Math.Clamp(count, 0, data.Count);
        data.SetOrder(Enumerable.Range(0, data.Count).ToArray());
        var result = new float[(long)count * width];
        ForEachBatch(data, count, (plan, start, rows) =>
            Backend.Download(plan.Plan[pick(plan)].Slice(0, (long)rows * width), result.AsSpan(start * width, rows * width)));
        return result;
    }

    /// <summary>Runs evaluation plans over the first <paramref name="count"/> samples; the last batch gets a plan of its own size.</summary>
    private void ForEachBatch(DeviceDataset data, int count, Action<CompiledPlan, int, int> after)
    {
        _inputs.Use(data);
        RunEvaluationBatches(count, after);
    }

    /// <summary>The batches of <see cref="ForEachBatch"/> on whatever <see cref="_inputs"/> holds.</summary>
    private void RunEvaluationBatches(int count, Action<CompiledPlan, int, int> after)
    {
        for (int start = 0; start < count; start += Recipe.BatchSize)
        {
            int rows = Math.Min(Recipe.BatchSize, count - start);
            var plan = Plan(PlanKind.Evaluate, rows);
            _inputs.Start = start;
            plan.Plan.Run();
            after(plan, start, rows);
        }
    }

    /// <summary>Lanes of the train-loss accumulator (the first elements of the plan accumulators): one per work-group of the
    /// GPU backends' fused loss (<see cref="IBackend.LossLanes"/>), so the loss, its gradient and its reduction are one launch.</summary>
    private const int TrainLossLanes = GpuBackend.ReduceGroups;

    /// <summary>The train loss accumulated since the last fill: the sum of the lanes, in lane order (on the CPU backend
    /// only lane 0 is nonzero, so this is its value exactly).</summary>
    private float ReadTrainLoss()
    {
        Span<float> lanes = stackalloc float[TrainLossLanes];
        Backend.Download(_accumulators.Slice(0, TrainLossLanes), lanes);
        float sum = 0f;
        foreach (float lane in lanes) sum += lane;
        return sum;
    }

    private CompiledPlan Plan(PlanKind kind, int batch)
    {
        if (!_plans.TryGetValue((kind, batch), out var plan))
        {
            plan = _network.BuildPlan(kind, batch, _inputs, _accumulators.All,
                kind == PlanKind.Train ? () => OptimizerStepAt(Step) : null,
                Recipe.Noise > 0 ? new InputNoise(Recipe.Noise, SeedFor("noise"), SeedFor("evaluation noise"), () => Step) : null);
            _plans[(kind, batch)] = plan;
        }
        return plan;
    }

    private void CheckCompatible(DeviceDataset data)
    {
        if (!ReferenceEquals(data.Backend, Backend))
            throw new ArgumentException($"data set {data.Host.Name} lives on backend {data.Backend.Name}, the model on {Backend.Name}");
        if (data.Host.SampleSize != _network.SampleSize)
            throw new ArgumentException(
                $"data set {data.Host.Name} has samples of {data.Host.Channels}x{data.Host.Height}x{data.Host.Width}, model {Model.Name} expects [{string.Join(", ", Model.InputShape)}]");
    }

    /// <summary>Independent Philox keys per purpose (init, shuffle, ...) from the one user seed.</summary>
    private ulong SeedFor(string purpose)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in purpose) h = (h ^ c) * 1099511628211UL;
        return h ^ _seed;
    }

    internal void RestoreCounters(int step, int epoch) { Step = step; Epoch = epoch; }

    /// <summary>The schedule and early-stopping state as checkpoint metadata, and back.</summary>
    internal string EpochControlJson() => _control.ToJson();
    internal void RestoreEpochControl(string json, string path) => _control.Restore(json, path);

    public void Dispose()
    {
        _captured?.Replay.Dispose();
        foreach (var plan in _plans.Values) plan.Dispose();
        DisposeDevicePlans();
        _stepOrder?.Dispose();
        _accumulators.Dispose();
        _network.Dispose();
    }
}

/// <summary>The loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

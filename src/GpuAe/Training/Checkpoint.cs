using System.Globalization;
using GpuAe.Backends;
using GpuAe.Checkpoints;
using GpuAe.Layers;
using GpuAe.Models;

namespace GpuAe.Training;

/// <summary>
/// Saves and restores a <see cref="Trainer"/> as a safetensors file: every parameter under its own name and
/// PyTorch layout (dense weight [out, in], conv weight [out, in, kh, kw]), the optimizer state as flat
/// tensors (optimizer.state3 only for centred RMSprop), and the model spec, recipe, seed, counters, schedule and
/// early-stopping state and <see cref="RunInfo"/> in the metadata. Writes are atomic.
/// A weights-only file (no optimizer tensors) serves inference, and training with a fresh optimizer state.
/// </summary>
public static class Checkpoint
{
    internal const string State1 = "optimizer.state1", State2 = "optimizer.state2", State3 = "optimizer.state3";
    internal const string ModelKey = "gpuae.model", RecipeKey = "gpuae.recipe", SeedKey = "gpuae.seed", StepKey = "gpuae.step", EpochKey = "gpuae.epoch";

    /// <summary>Writes <paramref name="trainer"/>'s parameters, optimizer state and counters to <paramref name="path"/>,
    /// with <paramref name="run"/> (what the run was made with) in the metadata when given.</summary>
    public static void Save(Trainer trainer, string path, RunInfo? run = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var store = trainer.Network.Parameters;
        var backend = trainer.Backend;
        var tensors = new List<NamedTensor>();
        foreach (var entry in store.Entries)
        {
            var data = new float[entry.Length];
            backend.Download(store.Values.Slice(entry.Offset, entry.Length), data);
            tensors.Add(new NamedTensor(entry.Decl.Name, entry.Decl.Shape.ToArray(), data));
        }
        var states = new List<(string, DeviceBuffer)> { (State1, store.State1), (State2, store.State2) };
        if (trainer.Recipe.OptimizerStepAt(1, 1).UsesState3) states.Add((State3, store.State3));
        foreach (var (name, buffer) in states)
        {
            var data = new float[buffer.Length];
            backend.Download(buffer.All, data);
            tensors.Add(new NamedTensor(name, [data.Length], data));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ModelKey] = trainer.Model.ToJson(),
            [RecipeKey] = trainer.Recipe.ToJson(),
            [SeedKey] = trainer.Seed.ToString(CultureInfo.InvariantCulture),
            [StepKey] = trainer.Step.ToString(CultureInfo.InvariantCulture),
            [EpochKey] = trainer.Epoch.ToString(CultureInfo.InvariantCulture),
            [RunInfo.BackendKey] = backend.Name,
        };
        if (trainer.Recipe.Schedule is not null || trainer.Recipe.EarlyStopping is not null)
            metadata[EpochControl.MetadataKey] = trainer.EpochControlJson();
        if (run is not null)
            foreach (var (k, v) in run.ToMetadata()) metadata[k] = v;
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) metadata[k] = v;
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Reads and checks a checkpoint without a backend: metadata (model, recipe, seed, non-negative counters,
    /// run info), every tensor finite, optimizer state complete or absent and second moments non-negative.</summary>
    /// <exception cref="InvalidDataException">Anything wrong; the message names the file and the key or tensor.</exception>
    public static SavedCheckpoint Read(string path) => new(path, SafeTensors.Read(path));

    /// <summary>Rebuilds the trainer on <paramref name="backend"/>; <paramref name="adjustRecipe"/> may change the saved
    /// recipe (e.g. more epochs). Names, shapes and sizes are checked, and a mismatch names the file and tensor.</summary>
    public static Trainer Load(IBackend backend, string path, Func<TrainingRecipe, TrainingRecipe>? adjustRecipe = null) =>
        Read(path).CreateTrainer(backend, adjustRecipe);
}

/// <summary>A checked checkpoint file, ready to become a <see cref="Trainer"/> on any backend.</summary>
public sealed class SavedCheckpoint
{
    private readonly SafeTensorFile _file;

    internal SavedCheckpoint(string path, SafeTensorFile file)
    {
        Path = path;
        _file = file;
        Model = Parse(Checkpoint.ModelKey, ModelSpec.FromJson);
        Recipe = CheckRecipe(Parse(Checkpoint.RecipeKey, TrainingRecipe.FromJson));
        Seed = Int(Checkpoint.SeedKey, int.MinValue);
        Step = Int(Checkpoint.StepKey, 0);
        Epoch = Int(Checkpoint.EpochKey, 0);
        Run = RunInfo.FromMetadata(file.Metadata, path, Recipe.BatchSize);
        CheckParameters();
        foreach (var tensor in file.Tensors) CheckFinite(tensor);
        bool has1 = file.TryGet(Checkpoint.State1, out var state1), has2 = file.TryGet(Checkpoint.State2, out var state2);
        if (has1 != has2)
            throw new InvalidDataException($"{path}: has tensor '{(has1 ? Checkpoint.State1 : Checkpoint.State2)}' but not '{(has1 ? Checkpoint.State2 : Checkpoint.State1)}' (keep both, or neither for a weights-only checkpoint)");
        HasOptimizerState = has1;
        bool needs3 = Recipe.OptimizerStepAt(1, 1).UsesState3;
        if (has1 && needs3 && !file.TryGet(Checkpoint.State3, out _))
            throw new InvalidDataException($"{path}: has optimizer state but no tensor '{Checkpoint.State3}', which centred RMSprop needs");
        // Squared-gradient averages: a negative one would make the update's square root NaN.
        var squares = Recipe.Optimizer switch
        {
            OptimizerKind.RmsProp => state1,
            OptimizerKind.Adam or OptimizerKind.AdamW => state2,
            _ => null,
        };
        if (squares is not null && Array.FindIndex(squares.Data, v => v < 0) is var negative and >= 0)
            throw new InvalidDataException(
                $"{path}: tensor '{squares.Name}' holds {squares.Data[negative].ToString(CultureInfo.InvariantCulture)} at index {negative}; " +
                $"{Recipe.Optimizer}'s squared-gradient averages cannot be negative");
    }

    /// <summary>The file read.</summary>
    public string Path { get; }
    public ModelSpec Model { get; }
    public TrainingRecipe Recipe { get; }
    public int Seed { get; }

    /// <summary>Optimizer steps taken (Adam's t).</summary>
    public int Step { get; }

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; }

    /// <summary>What the run was made with; null for a checkpoint written before this was recorded.</summary>
    public RunInfo? Run { get; }

    /// <summary>False for a weights-only checkpoint (no optimizer.* tensors): fine for inference; training restarts the
    /// optimizer (zero moments, step count 0).</summary>
    public bool HasOptimizerState { get; }

    /// <summary>The trainer with the saved parameters, optimizer state and counters, on <paramref name="backend"/>.</summary>
    /// <exception cref="InvalidDataException">The optimizer state has the wrong size for the model; the message names the file
    /// and tensor. (Parameters and the spec were checked when the file was read.)</exception>
    public Trainer CreateTrainer(IBackend backend, Func<TrainingRecipe, TrainingRecipe>? adjustRecipe = null)
    {
        // The spec and every parameter's name and shape were checked against the file when it was read, so nothing
        // below can allocate for a model the file does not hold.
        var trainer = new Trainer(backend, Model, adjustRecipe?.Invoke(Recipe) ?? Recipe, Seed);
        try
        {
            var store = trainer.Network.Parameters;
            foreach (var entry in store.Entries)
                backend.Upload(store.Values.Slice(entry.Offset, entry.Length), _file[entry.Decl.Name].Data);
            if (HasOptimizerState)
            {
                foreach (var (name, buffer) in new[] { (Checkpoint.State1, store.State1), (Checkpoint.State2, store.State2), (Checkpoint.State3, store.State3) })
                {
                    if (!_file.TryGet(name, out var tensor)) continue;   // state3: centred RMSprop only (checked when read)
                    if (tensor.Shape.Length != 1 || tensor.Data.Length != buffer.Length)
                        throw new InvalidDataException(
                            $"{Path}: tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}], the model's optimizer state is [{buffer.Length}]");
                    backend.Upload(buffer.All, tensor.Data);
                }
            }
            trainer.RestoreCounters(HasOptimizerState ? Step : 0, Epoch);
            // the schedule's rate and early stopping's best go on from where the run was (absent: written without either)
            if (_file.Metadata.TryGetValue(EpochControl.MetadataKey, out var control)) trainer.RestoreEpochControl(control, Path);
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>Builds nothing: checks the spec (<see cref="Network.Validate"/>) and that the file holds exactly its
    /// parameters with their shapes, before any buffer is sized from the spec (a crafted spec can declare billions of values).</summary>
    private void CheckParameters()
    {
        IReadOnlyList<ParameterDecl> declared;
        try
        {
            declared = Network.Validate(Model);
        }
        catch (ModelSpecException e)
        {
            throw new InvalidDataException($"{Path}: metadata '{Checkpoint.ModelKey}' describes a model that cannot be built ({e.Message})", e);
        }
        var expected = new HashSet<string>(StringComparer.Ordinal) { Checkpoint.State1, Checkpoint.State2, Checkpoint.State3 };
        foreach (var decl in declared)
        {
            expected.Add(decl.Name);
            if (!_file.TryGet(decl.Name, out var tensor))
                throw new InvalidDataException($"{Path}: parameter '{decl.Name}' of model {Model.Name} is missing");
            if (!tensor.Shape.SequenceEqual(decl.Shape.ToArray()))
                throw new InvalidDataException(
                    $"{Path}: parameter '{decl.Name}' has shape [{string.Join(", ", tensor.Shape)}], the model expects {decl.Shape}");
        }
        if (_file.Tensors.FirstOrDefault(t => !expected.Contains(t.Name)) is { } stray)
            throw new InvalidDataException($"{Path}: tensor '{stray.Name}' is not a parameter of model {Model.Name}");
    }

    private string Meta(string key) => _file.Metadata.TryGetValue(key, out var v) ? v
        : throw new InvalidDataException($"{Path}: not a gpuae checkpoint (metadata has no '{key}')");

    private int Int(string key, int min) =>
        int.TryParse(Meta(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v >= min ? v : throw new InvalidDataException($"{Path}: metadata '{key}' = {v} cannot be negative")
            : throw new InvalidDataException($"{Path}: metadata '{key}' = '{Meta(key)}' is not a whole number");

    private T Parse<T>(string key, Func<string, T> parse)
    {
        try
        {
            return parse(Meta(key));
        }
        catch (ModelSpecException e)
        {
            throw new InvalidDataException($"{Path}: metadata '{key}': {e.Message}", e);
        }
    }

    private TrainingRecipe CheckRecipe(TrainingRecipe recipe) =>
        recipe.Problems() is [var problem, ..]
            ? throw new InvalidDataException($"{Path}: metadata '{Checkpoint.RecipeKey}': {problem}")
            : recipe;

    private void CheckFinite(NamedTensor tensor)
    {
        int bad = Array.FindIndex(tensor.Data, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new InvalidDataException(
                $"{Path}: tensor '{tensor.Name}' holds {tensor.Data[bad].ToString(CultureInfo.InvariantCulture)} at index {bad}; checkpoint values must be finite");
    }
}

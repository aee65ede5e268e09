using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAe.Backends;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>
/// gpuae_trainer: training of one model (one trainer per model at a time). It keeps its model alive, and stages host
/// batches in a device buffer of its own. Every step goes through <see cref="Step(BufferView, int)"/>, which takes samples
/// already on the device: a caller's device buffer (cl_mem, CUdeviceptr) staged as a view steps the same way.
/// </summary>
internal sealed unsafe class NativeTrainer
{
    private DeviceBuffer? _staging;

    private NativeTrainer(NativeModel model)
    {
        Model = model;
        model.AddReference();
        model.ActiveTrainer = this;
    }

    public NativeModel Model { get; }
    private Trainer Trainer => Model.Trainer;

    /// <summary>A trainer on <paramref name="model"/> with <paramref name="recipe"/>: a recipe other than the model's
    /// replaces the model's weights holder by one under the new recipe (<see cref="Trainer.WithRecipe"/>).</summary>
    public static NativeTrainer Create(NativeModel model, TrainingRecipe recipe)
    {
        if (model.ActiveTrainer is not null)
            throw new NativeApiException(Status.InvalidArgument, "the model already has a gpuae_trainer (one per model): destroy it first");
        NativeRecipe.Check(recipe);
        if (recipe != model.Trainer.Recipe) model.Replace(model.Trainer.WithRecipe(recipe));
        return new NativeTrainer(model);
    }

    /// <summary>One optimizer step on <paramref name="rows"/> samples already on the model's device; the batch's loss.</summary>
    public double Step(BufferView samples, int rows) => Trainer.TrainStep(samples, rows);

    /// <summary>One optimizer step on host samples (scaled as the model's inputs are), staged on the device.</summary>
    public double Step(float* batch, nuint count)
    {
        var data = Model.Read(batch, count, "batch");
        var backend = Trainer.Backend;
        long length = data.Images.LongLength;
        if (_staging is null || _staging.Length < length)
        {
            _staging?.Dispose();
            _staging = null;
            _staging = backend.Allocate(length);
        }
        var view = _staging.Slice(0, length);
        backend.Upload(view, data.Images);
        return Step(view, data.Count);
    }

    /// <summary>One epoch over host samples, shuffled and batched as <see cref="Trainer.TrainEpoch"/> does for the model's
    /// seed; the mean training loss. The callback hears of every step; a nonzero answer stops the epoch (Cancelled).</summary>
    public double Epoch(float* samples, nuint count, delegate* unmanaged<void*, ulong, ulong, int> callback, void* user)
    {
        using var data = Model.Upload(samples, count, "samples");
        // TrainEpoch's batching: full batches only (drop-last), the batch clamped to the sample count
        int steps = data.Count / Math.Min(Trainer.Recipe.BatchSize, data.Count);
        using var cancel = new CancellationTokenSource();
        var progress = callback is null ? null : new CallbackProgress(callback, user, (ulong)steps, cancel);
        try
        {
            return Trainer.TrainEpoch(data, progress: progress, cancellation: cancel.Token).TrainLoss;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            ulong done = progress!.Done;
            throw new NativeApiException(Status.Cancelled,
                $"epoch {Trainer.Epoch + 1} cancelled by the progress callback after step {done} of {steps}; those {done} steps stay applied, the epoch count stays {Trainer.Epoch}");
        }
    }

    /// <summary>Mean loss and MSE per value (per image for a VAE's loss) over host samples, in order.</summary>
    public Evaluation Evaluate(float* samples, nuint count)
    {
        using var data = Model.Upload(samples, count, "samples");
        return Trainer.Evaluate(data);
    }

    public void Release()
    {
        _staging?.Dispose();
        Model.ActiveTrainer = null;
        Model.Release();
    }

    /// <summary>The C progress callback as <see cref="IProgress{T}"/>: each report is one step done.</summary>
    private sealed class CallbackProgress(delegate* unmanaged<void*, ulong, ulong, int> callback, void* user, ulong steps,
        CancellationTokenSource cancel) : IProgress<double>
    {
        public ulong Done { get; private set; }

        public void Report(double value)
        {
            Done++;
            if (callback(user, Done, steps) != 0) cancel.Cancel();
        }
    }
}

/// <summary>
/// gpuae_recipe of native/include/gpuae.h, field for field. struct_size is the caller's sizeof(gpuae_recipe): a caller
/// built against an older header passes a shorter struct, and the fields it lacks keep the model's values; fields are
/// only ever appended.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeRecipe
{
    public nuint StructSize;
    public byte* Optimizer;
    public float LearningRate;
    public int BatchSize;
    public int Epochs;
    public float WeightDecay;
    public float Noise;

    /// <summary>sizeof(gpuae_recipe) at API level 2, the first level that has it: no caller can pass less.</summary>
    private const int Level2Size = 40;

    // Each optimizer's name as the recipe JSON spells it, NUL-terminated in pinned arrays: static, never freed.
    private static readonly Dictionary<OptimizerKind, byte[]> Names = Enum.GetValues<OptimizerKind>().ToDictionary(k => k, k =>
    {
        string name = OptimizerName(k);
        var bytes = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(name) + 1, pinned: true);
        Encoding.UTF8.GetBytes(name, bytes);
        return bytes;
    });

    public static string OptimizerName(OptimizerKind kind) => JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());

    /// <summary>The optimizer <paramref name="name"/> spells (as in recipe JSON: "adam", "rms_prop", ...).</summary>
    public static OptimizerKind ParseOptimizer(string name, string what) =>
        Enum.GetValues<OptimizerKind>().Where(k => OptimizerName(k) == name).Select(k => (OptimizerKind?)k).FirstOrDefault()
        ?? throw new NativeApiException(Status.InvalidArgument,
            $"{what}: '{name}' is not one of {string.Join(", ", Enum.GetValues<OptimizerKind>().Select(OptimizerName))}");

    /// <summary>Writes <paramref name="recipe"/> into the caller's struct, as many fields as its struct_size holds.</summary>
    public static void Write(TrainingRecipe recipe, NativeRecipe* destination)
    {
        nuint size = CheckSize(destination);
        var full = new NativeRecipe
        {
            StructSize = size,
            LearningRate = recipe.LearningRate,
            BatchSize = recipe.BatchSize,
            Epochs = recipe.Epochs,
            WeightDecay = recipe.WeightDecay,
            Noise = recipe.Noise,
        };
        fixed (byte* name = Names[recipe.Optimizer]) full.Optimizer = name; // pinned for the process's life
        Buffer.MemoryCopy(&full, destination, (ulong)size, (ulong)Math.Min(size, (nuint)sizeof(NativeRecipe)));
    }

    /// <summary><paramref name="current"/> with the fields of the caller's struct (fields it is too short to hold, and
    /// recipe fields the struct does not have yet, keep <paramref name="current"/>'s values).</summary>
    public static TrainingRecipe Read(NativeRecipe* source, TrainingRecipe current)
    {
        nuint size = CheckSize(source);
        var full = new NativeRecipe
        {
            LearningRate = current.LearningRate,
            BatchSize = current.BatchSize,
            Epochs = current.Epochs,
            WeightDecay = current.WeightDecay,
            Noise = current.Noise,
        };
        Buffer.MemoryCopy(source, &full, (ulong)sizeof(NativeRecipe), (ulong)Math.Min(size, (nuint)sizeof(NativeRecipe)));
        if (full.Optimizer is null) throw new NativeApiException(Status.InvalidArgument, "recipe->optimizer is NULL");
        var optimizer = ParseOptimizer(Marshal.PtrToStringUTF8((nint)full.Optimizer)!, "recipe->optimizer");
        return current with
        {
            Optimizer = optimizer,
            LearningRate = full.LearningRate,
            BatchSize = full.BatchSize,
            Epochs = full.Epochs,
            WeightDecay = full.WeightDecay,
            Noise = full.Noise,
        };
    }

    /// <summary>
    /// <paramref name="current"/> with the keys of <paramref name="json"/>, a JSON object in the recipe's own spelling (the
    /// one gpuae_model_recipe_json gives and checkpoints store), e.g. {"learning_rate": 0.01}: every recipe field, also those
    /// the C struct does not have yet. Unknown keys and values of the wrong kind are errors naming the key.
    /// </summary>
    public static TrainingRecipe Merge(TrainingRecipe current, string json)
    {
        JsonObject given;
        try
        {
            given = JsonNode.Parse(json) as JsonObject
                ?? throw new NativeApiException(Status.InvalidArgument, "recipe_json: expected a JSON object, e.g. {\"learning_rate\": 0.01}");
        }
        catch (JsonException e)
        {
            throw new NativeApiException(Status.InvalidArgument, $"recipe_json is not valid JSON: {e.Message}");
        }
        var merged = JsonNode.Parse(current.ToJson())!.AsObject();
        foreach (var (key, value) in given)
        {
            if (!merged.TryGetPropertyValue(key, out var known))
                throw new NativeApiException(Status.InvalidArgument, $"recipe_json: key '{key}' is not one of {string.Join(", ", merged.Select(p => p.Key))}");
            JsonValueKind expected = known?.GetValueKind() ?? JsonValueKind.Null, got = value?.GetValueKind() ?? JsonValueKind.Null;
            if (expected != JsonValueKind.Null && got != expected)
                throw new NativeApiException(Status.InvalidArgument, $"recipe_json: key '{key}' holds a {Kind(got)}, expected a {Kind(expected)}");
            if (key == "optimizer") ParseOptimizer(value!.GetValue<string>(), "recipe_json: key 'optimizer'");
            merged[key] = value?.DeepClone();
        }
        try
        {
            return TrainingRecipe.FromJson(merged.ToJsonString());
        }
        catch (ModelSpecException e)
        {
            throw new NativeApiException(Status.InvalidArgument, $"recipe_json: {e.Message}");
        }
    }

    /// <summary>The checks a checkpoint's recipe must pass (SavedCheckpoint reads them back) that the Trainer's constructor
    /// does not make itself: a model saved with this recipe must load again.</summary>
    public static void Check(TrainingRecipe recipe)
    {
        if (recipe.Epochs < 0)
            throw new NativeApiException(Status.InvalidArgument, $"recipe: epochs = {recipe.Epochs}, expected a whole number >= 0");
        if (!(recipe.WeightDecay >= 0) || !float.IsFinite(recipe.WeightDecay))
            throw new NativeApiException(Status.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"recipe: weight_decay = {recipe.WeightDecay}, expected a finite number >= 0"));
    }

    private static nuint CheckSize(NativeRecipe* recipe)
    {
        if (recipe->StructSize < Level2Size)
            throw new NativeApiException(Status.InvalidArgument,
                $"recipe->struct_size = {recipe->StructSize}: set it to sizeof(gpuae_recipe) ({sizeof(NativeRecipe)} in this library)");
        return recipe->StructSize;
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "number",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        _ => "null",
    };
}

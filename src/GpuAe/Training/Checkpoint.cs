using System.Globalization;
using GpuAe.Backends;
using GpuAe.Checkpoints;
using GpuAe.Models;

namespace GpuAe.Training;

/// <summary>
/// Saves and restores a <see cref="Trainer"/> as a safetensors file: every parameter under its own name and
/// PyTorch layout (dense weight [out, in], conv weight [out, in, kh, kw]), the optimizer state as flat
/// tensors, and the model spec, recipe, seed and counters in the metadata. Writes are atomic.
/// </summary>
public static class Checkpoint
{
    private const string State1 = "optimizer.state1", State2 = "optimizer.state2";

    public static void Save(Trainer trainer, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
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
        foreach (var (name, buffer) in new[] { (State1, store.State1), (State2, store.State2) })
        {
            var data = new float[buffer.Length];
            backend.Download(buffer.All, data);
            tensors.Add(new NamedTensor(name, [data.Length], data));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["gpuae.model"] = trainer.Model.ToJson(),
            ["gpuae.recipe"] = trainer.Recipe.ToJson(),
            ["gpuae.seed"] = trainer.Seed.ToString(CultureInfo.InvariantCulture),
            ["gpuae.step"] = trainer.Step.ToString(CultureInfo.InvariantCulture),
            ["gpuae.epoch"] = trainer.Epoch.ToString(CultureInfo.InvariantCulture),
            ["gpuae.backend"] = backend.Name,
        };
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) metadata[k] = v;
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Rebuilds the trainer on <paramref name="backend"/>; <paramref name="adjustRecipe"/> may change the saved
    /// recipe (e.g. more epochs). Names, shapes and sizes are checked, and a mismatch names the file and tensor.</summary>
    public static Trainer Load(IBackend backend, string path, Func<TrainingRecipe, TrainingRecipe>? adjustRecipe = null)
    {
        var file = SafeTensors.Read(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path}: not a gpuae checkpoint (metadata has no '{key}')");
        int Int(string key) => int.TryParse(Meta(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"{path}: metadata '{key}' = '{Meta(key)}' is not an integer");

        var model = ModelSpec.FromJson(Meta("gpuae.model"));
        var recipe = TrainingRecipe.FromJson(Meta("gpuae.recipe"));
        var trainer = new Trainer(backend, model, adjustRecipe?.Invoke(recipe) ?? recipe, Int("gpuae.seed"));
        try
        {
            var store = trainer.Network.Parameters;
            foreach (var entry in store.Entries)
            {
                if (!file.TryGet(entry.Decl.Name, out var tensor))
                    throw new InvalidDataException($"{path}: parameter '{entry.Decl.Name}' of model {model.Name} is missing");
                if (!tensor!.Shape.SequenceEqual(entry.Decl.Shape.ToArray()))
                    throw new InvalidDataException(
                        $"{path}: parameter '{entry.Decl.Name}' has shape [{string.Join(", ", tensor.Shape)}], the model expects {entry.Decl.Shape}");
                CheckFinite(path, tensor);
                backend.Upload(store.Values.Slice(entry.Offset, entry.Length), tensor.Data);
            }
            foreach (var (name, buffer) in new[] { (State1, store.State1), (State2, store.State2) })
            {
                var tensor = file[name];
                if (tensor.Data.Length != buffer.Length)
                    throw new InvalidDataException($"{path}: {name} has {tensor.Data.Length} values, the model's optimizer state has {buffer.Length}");
                backend.Upload(buffer.All, tensor.Data);
            }
            trainer.RestoreCounters(Int("gpuae.step"), Int("gpuae.epoch"));
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    private static void CheckFinite(string path, NamedTensor tensor)
    {
        int bad = Array.FindIndex(tensor.Data, v => !float.IsFinite(v));
        if (bad >= 0) throw new InvalidDataException($"{path}: parameter '{tensor.Name}' holds {tensor.Data[bad]} at index {bad}");
    }
}

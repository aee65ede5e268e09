using System.Globalization;
using GpuAe.Checkpoints;
using GpuAe.Layers;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Interop;

/// <summary>How the tensors of a PyTorch state_dict were matched to the model's parameters.</summary>
public enum TorchNaming
{
    /// <summary>GpuAe's own names (<c>layers.N.weight</c>, a VAE's <c>layers.N.mean.weight</c>): what the rebuild script
    /// <c>benchmarks/compare/torch_rebuild.py</c> and GpuAe checkpoints use.</summary>
    GpuAe,
    /// <summary>An <c>nn.Sequential</c>'s <c>K.weight</c>/<c>K.bias</c> (optionally under one common prefix such as
    /// <c>net.</c>): the parameterised modules in index order, matched one to one to the model's layers with parameters.</summary>
    Sequential,
}

/// <summary>What <see cref="TorchImport.Import"/> wrote.</summary>
public sealed record TorchImportResult(string Checkpoint, TorchNaming Naming, int Tensors);

/// <summary>
/// Brings PyTorch weights in: a <c>state_dict</c> saved with safetensors (F32) becomes a weights-only GpuAe checkpoint
/// (no optimizer state: it serves encode/reconstruct/export at once, and training starts a fresh optimizer).
/// Layouts agree (nn.Linear [out, in], Conv2d [out, in, kh, kw], ConvTranspose2d [in, out, kh, kw]), so tensors
/// are copied as they are; every name and shape is checked first.
/// </summary>
public static class TorchImport
{
    /// <summary>Metadata key recording the file a checkpoint was imported from.</summary>
    public const string SourceKey = "gpuae.imported_from";

    /// <summary>Reads <paramref name="torchFile"/>, matches its tensors to <paramref name="spec"/>'s parameters and writes
    /// the checkpoint <paramref name="checkpointPath"/> with <paramref name="recipe"/> and <paramref name="seed"/> in its metadata.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, extra, mis-shaped or not finite; the message names the
    /// tensor (and both shapes), or the file is not safetensors.</exception>
    /// <exception cref="ModelSpecException">The spec cannot be built.</exception>
    public static TorchImportResult Import(string torchFile, ModelSpec spec, TrainingRecipe recipe, string checkpointPath, int seed = 1)
    {
        var declared = Network.Validate(spec);
        var file = SafeTensors.Read(torchFile);
        bool gpuaeNames = file.Tensors.Any(t => t.Name.StartsWith("layers.", StringComparison.Ordinal));
        var byParameter = gpuaeNames ? MatchByName(file, spec, declared) : MatchSequential(file, spec, declared);
        var tensors = new List<NamedTensor>(declared.Count);
        foreach (var decl in declared)
        {
            var tensor = byParameter[decl.Name];
            string which = tensor.Name == decl.Name ? $"'{tensor.Name}'" : $"'{tensor.Name}' (for {decl.Name})";
            if (!tensor.Shape.SequenceEqual(decl.Shape.ToArray()))
                throw new InvalidDataException(
                    $"{torchFile}: tensor {which} has shape [{string.Join(", ", tensor.Shape)}], model {spec.Name} expects {decl.Shape}");
            int bad = Array.FindIndex(tensor.Data, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new InvalidDataException(
                    $"{torchFile}: tensor {which} holds {tensor.Data[bad].ToString(CultureInfo.InvariantCulture)} at index {bad}; weights must be finite");
            tensors.Add(tensor with { Name = decl.Name });
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [Checkpoint.ModelKey] = spec.ToJson(),
            [Checkpoint.RecipeKey] = recipe.ToJson(),
            [Checkpoint.SeedKey] = seed.ToString(CultureInfo.InvariantCulture),
            [Checkpoint.StepKey] = "0",
            [Checkpoint.EpochKey] = "0",
            [SourceKey] = Path.GetFullPath(torchFile),
        };
        SafeTensors.Write(checkpointPath, tensors, metadata);
        return new TorchImportResult(checkpointPath, gpuaeNames ? TorchNaming.GpuAe : TorchNaming.Sequential, tensors.Count);
    }

    private static Dictionary<string, NamedTensor> MatchByName(SafeTensorFile file, ModelSpec spec, IReadOnlyList<ParameterDecl> declared)
    {
        var names = declared.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        if (declared.FirstOrDefault(d => !file.TryGet(d.Name, out _)) is { } missing)
            throw new InvalidDataException($"{file.Path}: parameter '{missing.Name}' {missing.Shape} of model {spec.Name} is missing");
        if (file.Tensors.FirstOrDefault(t => !names.Contains(t.Name)) is { } extra)
            throw new InvalidDataException(
                $"{file.Path}: tensor '{extra.Name}' [{string.Join(", ", extra.Shape)}] is not a parameter of model {spec.Name} (its parameters: {string.Join(", ", names)})");
        return declared.ToDictionary(d => d.Name, d => file[d.Name], StringComparer.Ordinal);
    }

    /// <summary>nn.Sequential names: "PREFIX K.weight" / "PREFIX K.bias", one prefix for all, modules in order of K.</summary>
    private static Dictionary<string, NamedTensor> MatchSequential(SafeTensorFile file, ModelSpec spec, IReadOnlyList<ParameterDecl> declared)
    {
        var modules = new SortedDictionary<int, Dictionary<string, NamedTensor>>();
        string? prefix = null;
        foreach (var tensor in file.Tensors)
        {
            var (module, parameter) = SplitLast(tensor.Name);
            var (head, index) = SplitLast(module);
            bool numbered = int.TryParse(module.Length == 0 ? "" : index, NumberStyles.None, CultureInfo.InvariantCulture, out int k);
            if (!numbered || parameter is not ("weight" or "bias") || (prefix ?? head) != head)
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{tensor.Name}' is neither a GpuAe parameter name (layers.N.weight) nor an nn.Sequential one " +
                    $"(K.weight or K.bias{(prefix is { Length: > 0 } ? $" under '{prefix}.'" : "")}); rename the state_dict's keys, or rebuild the model with benchmarks/compare/torch_rebuild.py");
            prefix = head;
            if (!modules.TryGetValue(k, out var parameters)) modules[k] = parameters = new(StringComparer.Ordinal);
            parameters[parameter] = tensor;
        }
        // The model's parameterised modules, in order: "layers.1" (dense), "layers.2.mean" (a VAE head), ...
        var owners = declared.Select(d => SplitLast(d.Name).Head).Distinct().ToArray();
        var torchModules = modules.Keys.Select(k => prefix is { Length: > 0 } ? $"{prefix}.{k}" : $"{k}").ToArray();
        if (torchModules.Length != owners.Length)
            throw new InvalidDataException(
                $"{file.Path}: has {torchModules.Length} nn.Sequential module(s) with parameters ({string.Join(", ", torchModules)}), " +
                $"model {spec.Name} has {owners.Length} ({string.Join(", ", owners)})");
        var matched = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (owner, (torchModule, parameters)) in owners.Zip(torchModules.Zip(modules.Values)))
            foreach (var decl in declared.Where(d => SplitLast(d.Name).Head == owner))
            {
                string parameter = SplitLast(decl.Name).Tail;
                matched[decl.Name] = parameters.TryGetValue(parameter, out var tensor) ? tensor
                    : throw new InvalidDataException($"{file.Path}: tensor '{torchModule}.{parameter}' (for {decl.Name} {decl.Shape} of model {spec.Name}) is missing");
            }
        return matched;
    }

    private static (string Head, string Tail) SplitLast(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? ("", name) : (name[..dot], name[(dot + 1)..]);
    }
}

namespace GpuAe.Checkpoints;

/// <summary>A float32 tensor with a name, as stored in a checkpoint. <paramref name="Shape"/> [] is a scalar.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>Product of <see cref="Shape"/> (1 for a scalar), as a long so huge shapes cannot wrap.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);
}

/// <summary>The contents of a safetensors file: tensors in file order plus the string metadata.</summary>
public sealed class SafeTensorFile
{
    private readonly Dictionary<string, NamedTensor> _byName;

    internal SafeTensorFile(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file that was read.</summary>
    public string Path { get; }

    /// <summary>All tensors, in the order their data appears in the file.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>The "__metadata__" map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message lists the names there are.</exception>
    public NamedTensor this[string name] => _byName.TryGetValue(name, out NamedTensor? tensor) ? tensor
        : throw new KeyNotFoundException($"{Path}: no tensor '{name}'; the file has {string.Join(", ", _byName.Keys.Select(k => $"'{k}'"))}");

    /// <summary>Looks up a tensor by name.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NamedTensor? tensor) =>
        _byName.TryGetValue(name, out tensor);
}

namespace GpuAe.Backends;

/// <summary>One kernel entry point: the family (the kernel file's stem, kernels/opencl/&lt;family&gt;.cl and
/// kernels/cuda/&lt;family&gt;.cu: one program or module each) and the entry's name in it.</summary>
public sealed record KernelEntry(string Family, string Name)
{
    public override string ToString() => $"{Name} ({Family})";
}

/// <summary>
/// A GPU backend's kernel handles keyed by entry name, each created on first use by the backend's
/// <c>create</c> function (build or load the family, then look the entry up). One table instead of a field
/// per kernel: a launch names its <see cref="KernelEntry"/>, and disposal walks <see cref="Loaded"/>.
/// Not thread-safe (nor are the backends).
/// </summary>
public sealed class KernelTable<TKernel>(Func<KernelEntry, TKernel> create) where TKernel : struct
{
    private readonly Dictionary<string, TKernel> _kernels = new(StringComparer.Ordinal);

    /// <summary>The handle of <paramref name="entry"/>, created now if this is its first use.</summary>
    public TKernel Get(KernelEntry entry)
    {
        if (_kernels.TryGetValue(entry.Name, out var kernel)) return kernel;
        kernel = create(entry);
        _kernels.Add(entry.Name, kernel);
        return kernel;
    }

    /// <summary>Every handle created so far, by entry name.</summary>
    public IReadOnlyDictionary<string, TKernel> Loaded => _kernels;
}

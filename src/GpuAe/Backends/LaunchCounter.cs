using System.Runtime.InteropServices;

namespace GpuAe.Backends;

/// <summary>
/// Kernel launches a GPU backend enqueued, per entry (<see cref="GpuBackend.Launches"/>): what "launches per training
/// step" counts. Counting a launch allocates nothing once its entry has been seen (the first launch of an entry adds it).
/// Under CUDA step capture the launches are counted once, when the step is captured; replays launch a graph, not kernels.
/// Not thread-safe (nor are the backends).
/// </summary>
public sealed class LaunchCounter
{
    // keyed by the entry object (the static KernelEntry instances of PortableKernels and the backends): no string hashing per launch
    private readonly Dictionary<KernelEntry, long> _counts = new(ReferenceEqualityComparer.Instance);

    /// <summary>Launches since creation or the last <see cref="Reset"/>.</summary>
    public long Total { get; private set; }

    internal void Count(KernelEntry entry)
    {
        CollectionsMarshal.GetValueRefOrAddDefault(_counts, entry, out _)++;
        Total++;
    }

    /// <summary>Forgets every count (entries already seen keep their slot, so counting stays allocation-free).</summary>
    public void Reset()
    {
        foreach (var entry in _counts.Keys) _counts[entry] = 0;
        Total = 0;
    }

    /// <summary>The counts so far by entry name (entries not launched since the last reset left out), largest first.</summary>
    public IReadOnlyList<(string Entry, long Launches)> ByEntry() =>
        _counts.GroupBy(c => c.Key.Name, c => c.Value)
            .Select(g => (Entry: g.Key, Launches: g.Sum()))
            .Where(c => c.Launches > 0)
            .OrderByDescending(c => c.Launches).ThenBy(c => c.Entry, StringComparer.Ordinal)
            .ToList();
}

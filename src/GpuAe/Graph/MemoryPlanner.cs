using GpuAe.Backends;

namespace GpuAe.Graph;

/// <summary>Offsets of planned tensors inside one arena per element type, and what that saved.</summary>
internal sealed record MemoryPlan(
    IReadOnlyDictionary<int, long> Offsets,
    long RealArenaLength,
    long IntArenaLength,
    long PlannedBytes,
    long NaiveBytes,
    IReadOnlyDictionary<int, (int First, int Last)> Lifetimes);

/// <summary>
/// Liveness-based buffer reuse. A planned tensor lives from the first step that touches it to the
/// last (to the end of the run for outputs); tensors whose lifetimes overlap never share bytes. With two
/// streams a side step may still be running until its join, so whatever it reads or writes lives until the
/// last main step before that join (<see cref="StreamSchedule.LiveUntil"/>): no main step reuses its bytes early.
/// Placement is greedy, largest first, at the lowest offset that fits between already placed tensors
/// live at the same time (the classic offset-assignment heuristic for static graphs).
/// </summary>
internal static class MemoryPlanner
{
    /// <summary>Offsets are multiples of 16 elements (64 bytes): aligned vector loads on every backend.</summary>
    public const int Alignment = 16;

    /// <param name="schedule">The plan's stream schedule; null: one stream, in list order.</param>
    public static MemoryPlan Plan(IReadOnlyList<Tensor> tensors, IReadOnlyList<Step> steps, int realSize, StreamSchedule? schedule = null)
    {
        var lifetimes = new Dictionary<int, (int First, int Last)>();
        for (int s = 0; s < steps.Count; s++)
        {
            int until = schedule?.LiveUntil(s) ?? s;
            foreach (var t in steps[s].Reads.Concat(steps[s].Writes))
            {
                var root = t.Root;
                if (root.Storage != TensorStorage.Planned) continue;
                lifetimes[root.Id] = lifetimes.TryGetValue(root.Id, out var life) ? (life.First, Math.Max(life.Last, until)) : (s, until);
            }
        }
        foreach (var t in tensors)
            if (t.IsOutput && lifetimes.TryGetValue(t.Root.Id, out var life))
                lifetimes[t.Root.Id] = (life.First, steps.Count);

        var offsets = new Dictionary<int, long>();
        long realLength = PlaceAll(tensors, lifetimes, ElementType.Real, offsets);
        long intLength = PlaceAll(tensors, lifetimes, ElementType.Int32, offsets);
        long naive = lifetimes.Keys.Sum(id => Bytes(tensors[id], realSize));
        return new MemoryPlan(offsets, realLength, intLength, realLength * realSize + intLength * 4, naive, lifetimes);
    }

    private static long PlaceAll(IReadOnlyList<Tensor> tensors, Dictionary<int, (int First, int Last)> lifetimes,
        ElementType type, Dictionary<int, long> offsets)
    {
        var order = lifetimes.Keys.Select(id => tensors[id]).Where(t => t.Type == type)
            .OrderByDescending(t => t.Length).ThenBy(t => t.Id).ToList();
        var placed = new List<(long Start, long End, int First, int Last)>();
        long arena = 0;
        foreach (var t in order)
        {
            var life = lifetimes[t.Id];
            long size = RoundUp(t.Length);
            var conflicts = placed.Where(p => p.First <= life.Last && life.First <= p.Last).OrderBy(p => p.Start);
            long offset = 0;
            foreach (var p in conflicts)
            {
                if (offset + size <= p.Start) break;
                offset = Math.Max(offset, p.End);
            }
            placed.Add((offset, offset + size, life.First, life.Last));
            offsets[t.Id] = offset;
            arena = Math.Max(arena, offset + size);
        }
        return arena;
    }

    private static long RoundUp(long length) => (length + Alignment - 1) / Alignment * Alignment;
    private static long Bytes(Tensor t, int realSize) => t.Length * (t.Type == ElementType.Real ? realSize : 4);
}

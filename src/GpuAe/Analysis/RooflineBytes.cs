using GpuAe.Backends;
using GpuAe.Graph;

namespace GpuAe.Analysis;

/// <summary>Bytes one training step moves at least: what its plan's steps read and write, and the optimizer's traffic.</summary>
/// <param name="PlanBytes">Every step except the optimizer's: each tensor it reads counted once, each tensor it writes
/// counted once (a tensor read and written by the same step counts twice, as it crosses the bus both ways).</param>
/// <param name="OptimizerBytes">The optimizer launch over the flat parameter buffer: gradients read, parameters and the
/// optimizer's state buffers read and written.</param>
/// <param name="Steps">Steps of the plan (kernel launches or small groups of them).</param>
internal readonly record struct StepTraffic(double PlanBytes, double OptimizerBytes, int Steps)
{
    public double Total => PlanBytes + OptimizerBytes;
}

/// <summary>The optimizer's flat buffers: <paramref name="Values"/> identifies its step in a plan (the only one writing
/// into the parameters), <paramref name="Length"/> values each, <paramref name="States"/> state buffers in use.</summary>
internal readonly record struct OptimizerBuffers(DeviceBuffer Values, long Length, int States);

/// <summary>
/// A lower bound on the memory traffic of a compiled step, from what each <see cref="Step"/> declares: a kernel must
/// read its inputs and write its outputs at least once, so caches can only reduce re-reads within a launch, never this
/// count (they can keep a tensor between launches, which is why it is a bound for large tensors and an estimate for
/// small ones). Not counted: reads outside the plan's tensors (the data set rows a gather copies, the per-step optimizer
/// scalars), re-reads inside a kernel (GEMM tiles, im2col patches), and the read of an output a kernel accumulates into.
/// </summary>
internal static class RooflineBytes
{
    public static StepTraffic Count(IReadOnlyList<Step> steps, int realSize, OptimizerBuffers? optimizer)
    {
        double plan = 0, optimizerBytes = 0;
        foreach (var step in steps)
        {
            if (optimizer is { } o && step.Writes.Any(t => ReferenceEquals(t.Root.External?.Buffer, o.Values)))
            {
                // gradients in; parameters and each state in and out (the plan declares the state buffers whole,
                // used or not, so they are counted from what the optimizer kind uses)
                optimizerBytes += (double)realSize * o.Length * (1 + 2 + 2 * o.States);
                continue;
            }
            plan += Distinct(step.Reads, realSize) + Distinct(step.Writes, realSize);
        }
        return new StepTraffic(plan, optimizerBytes, steps.Count);
    }

    /// <summary>Bytes of the tensors, each memory counted once (a tensor and its alias are the same memory).</summary>
    private static double Distinct(Tensor[] tensors, int realSize)
    {
        var seen = new Dictionary<int, long>();
        foreach (var t in tensors)
        {
            long bytes = t.Length * (t.Type == ElementType.Real ? realSize : sizeof(int));
            seen[t.Root.Id] = Math.Max(seen.GetValueOrDefault(t.Root.Id), bytes);
        }
        return seen.Values.Sum();
    }
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Graph;

public class MemoryPlannerTests
{
    public static TheoryData<string> Models => new(Presets.Names);

    [Theory]
    [MemberData(nameof(Models))]
    public void Reuse_never_overlaps_tensors_that_are_live_at_the_same_time(string model)
    {
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, Presets.Get(model).Model);
        using var accumulators = backend.Allocate(3);
        foreach (var kind in new[] { PlanKind.Train, PlanKind.Evaluate })
        {
            using var compiled = network.BuildPlan(kind, 7, new PlanInputs(), accumulators.All, () => new OptimizerStep(OptimizerKind.Adam, 1e-3f, 1));
            var memory = compiled.Plan.Memory;
            var tensors = compiled.Plan.Steps.SelectMany(s => s.Reads.Concat(s.Writes)).Select(t => t.Root)
                .Where(t => t.Storage == TensorStorage.Planned).Distinct().ToList();
            Assert.NotEmpty(tensors);
            foreach (var a in tensors)
            foreach (var b in tensors)
            {
                if (a.Id >= b.Id || a.Type != b.Type) continue;
                var (la, lb) = (memory.Lifetimes[a.Id], memory.Lifetimes[b.Id]);
                bool liveTogether = la.First <= lb.Last && lb.First <= la.Last;
                bool overlap = memory.Offsets[a.Id] < memory.Offsets[b.Id] + b.Length && memory.Offsets[b.Id] < memory.Offsets[a.Id] + a.Length;
                Assert.False(liveTogether && overlap, $"{model} {kind}: {a} and {b} share memory while both are live");
            }
            // Training plans always have dead forward tensors to reuse; a two-layer evaluation may not.
            if (kind == PlanKind.Train)
                Assert.True(compiled.Plan.PlannedBytes < compiled.Plan.NaiveBytes,
                    $"{model} {kind}: planned {compiled.Plan.PlannedBytes} B is not below the naive {compiled.Plan.NaiveBytes} B");
            else
                Assert.True(compiled.Plan.PlannedBytes <= compiled.Plan.NaiveBytes + 64 * compiled.Plan.Steps.Count);
        }
    }

    [Fact]
    public void A_dead_tensor_s_memory_is_reused_and_outputs_stay_live_to_the_end()
    {
        using var backend = new CpuBackend("managed");
        var g = new GraphBuilder(backend);
        var a = g.Planned("a", new Shape(100));
        var b = g.Planned("b", new Shape(100));
        var c = g.Planned("c", new Shape(100));
        var d = g.Planned("d", new Shape(100));
        g.Add("write a", [], [a], r => { var v = r[a]; return () => backend.Fill(v, 1f); });
        g.Add("a -> b", [a], [b], r => { BufferView x = r[a], y = r[b]; return () => backend.Copy(x, y); });
        g.Add("b -> c", [b], [c], r => { BufferView x = r[b], y = r[c]; return () => backend.ActivationForward(Activation.Sigmoid, ActivationParameters.Default, x, y); });
        g.Add("c -> d", [c], [d], r => { BufferView x = r[c], y = r[d]; return () => backend.Copy(x, y); });
        b.IsOutput = true;
        using var plan = new ExecutionPlan(g);
        plan.Run();

        var offsets = plan.Memory.Offsets;
        Assert.Equal(offsets[a.Id], offsets[c.Id]); // a is dead once b is written: c takes its place
        Assert.NotEqual(offsets[b.Id], offsets[d.Id]); // b is an output, live to the end
        Assert.Equal(3 * 112 * 4, plan.PlannedBytes); // three 16-aligned slots of 100 floats
        Assert.Equal(4 * 100 * 4, plan.NaiveBytes);
        var host = new float[100];
        backend.Download(plan[b], host);
        Assert.All(host, v => Assert.Equal(1f, v));
        backend.Download(plan[d], host);
        Assert.All(host, v => Assert.Equal(1f / (1f + MathF.Exp(-1f)), v, 6));
    }
}

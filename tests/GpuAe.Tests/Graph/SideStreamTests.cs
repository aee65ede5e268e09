using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Graph;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Graph;

/// <summary>
/// Parameter gradients on a side stream: the fork/join schedule, the planner keeping side-stream memory alive
/// until the join, and results bit-identical to the single-stream order — checked with a hazard oracle over
/// every preset and on the CPU reference with the side stream run as late as the joins allow.
/// </summary>
public class SideStreamTests
{
    public static TheoryData<string> Models => new(Presets.Names);

    private static readonly object RealArena = new(), IntArena = new();

    /// <summary>Dense-like backward: the side step reads dz and x; the main chain goes on to a step whose new
    /// tensor would take dz's or x's bytes if they died at their last list use; an optimizer-like step reads
    /// the side step's gradient.</summary>
    private sealed class Fixture : IDisposable
    {
        public readonly DeferredSideBackend Backend = new(new CpuBackend("managed"));
        public readonly GraphBuilder Graph;
        public readonly DeviceBuffer Gradient, Result;
        public readonly Tensor Dz, X, Dx, Next;

        public Fixture()
        {
            var g = Graph = new GraphBuilder(Backend);
            var backend = Backend;
            Gradient = backend.Allocate(100);
            Result = backend.Allocate(100);
            Dz = g.Planned("dz", new Shape(100));
            X = g.Planned("x", new Shape(100));
            Dx = g.Planned("dx", new Shape(100));
            Next = g.Planned("next", new Shape(100));
            Tensor dz = Dz, x = X, dx = Dx, next = Next;
            var grad = g.External("grad", new Shape(100), Gradient.All);
            var result = g.External("result", new Shape(100), Result.All);
            g.Add("forward", [], [dz, x], r =>
            {
                BufferView a = r[dz], b = r[x];
                return () => { backend.Fill(a, 2f); backend.Fill(b, 3f); };
            });
            g.Add("weight_gradient", [dz, x], [grad], r =>
            {
                BufferView a = r[dz], b = r[x], w = r[grad];
                return () => { backend.Copy(a, w); backend.Axpy(1f, b, w); };   // 2 + 3
            }, StepStream.Side);
            g.Add("input_gradient", [dz], [dx], r =>
            {
                BufferView a = r[dz], d = r[dx];
                return () => backend.Copy(a, d);
            });
            g.Add("next_layer", [dx], [next], r =>
            {
                BufferView d = r[dx], n = r[next];
                return () => { backend.Copy(d, n); backend.Scale(n, 10f); };
            });
            g.Add("optimizer", [grad], [result], r =>
            {
                BufferView w = r[grad], o = r[result];
                return () => backend.Copy(w, o);
            });
            Next.IsOutput = true;
        }

        public void Dispose()
        {
            Gradient.Dispose();
            Result.Dispose();
            Backend.Dispose();
        }
    }

    [Fact]
    public void One_fork_per_side_run_and_one_join_before_the_first_step_that_reads_side_output()
    {
        using var f = new Fixture();
        var schedule = StreamSchedule.Build(f.Graph.Steps, twoStreams: true);
        Assert.Equal(new PlanOp[]
            {
                new(PlanOpKind.Launch, 0), new(PlanOpKind.Fork), new(PlanOpKind.Launch, 1), new(PlanOpKind.BackToMain),
                new(PlanOpKind.Launch, 2), new(PlanOpKind.Launch, 3), new(PlanOpKind.Join), new(PlanOpKind.Launch, 4),
            }, schedule.Program);
        Assert.Equal(3, schedule.LiveUntil(1));   // the side step may run until the last main step before its join
        Assert.Equal(2, schedule.LiveUntil(2));

        // a backend without a side stream: plain launches in list order
        var single = StreamSchedule.Build(f.Graph.Steps, twoStreams: false);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => new PlanOp(PlanOpKind.Launch, i)), single.Program);
    }

    [Fact]
    public void Side_work_still_pending_at_the_end_is_joined_there()
    {
        using var backend = new DeferredSideBackend(new CpuBackend("managed"));
        var g = new GraphBuilder(backend);
        using var outside = backend.Allocate(4);
        var a = g.Planned("a", new Shape(4));
        var w = g.External("w", new Shape(4), outside.All);
        g.Add("a", [], [a], r => { var v = r[a]; return () => backend.Fill(v, 1f); });
        g.Add("side", [a], [w], r => { BufferView x = r[a], y = r[w]; return () => backend.Copy(x, y); }, StepStream.Side);
        g.Add("main", [a], [], _ => () => { });
        var schedule = StreamSchedule.Build(g.Steps, twoStreams: true);
        Assert.Equal(PlanOpKind.BackToMain, schedule.Program[3].Kind);
        Assert.Equal(PlanOpKind.Join, schedule.Program[^1].Kind);
        Assert.Equal(2, schedule.LiveUntil(1));
    }

    [Fact]
    public void Running_a_two_stream_plan_allocates_nothing()
    {
        using var backend = new DeferredSideBackend(new CpuBackend("managed"));
        var g = new GraphBuilder(backend);
        var a = g.Planned("a", new Shape(4));
        var b = g.Planned("b", new Shape(4));
        int launches = 0;
        g.Add("a", [], [a], _ => () => launches++);
        g.Add("side", [a], [b], _ => () => launches++, StepStream.Side);
        g.Add("main", [a], [], _ => () => launches++);
        g.Add("after", [b], [], _ => () => launches++);
        using var plan = new ExecutionPlan(g);
        plan.Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) plan.Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(404, launches);
        Assert.Equal((101, 101), (backend.Forks, backend.Joins));
    }

    [Fact]
    public void Memory_a_side_step_touches_is_not_reused_before_its_join()
    {
        using var f = new Fixture();
        using var plan = new ExecutionPlan(f.Graph);
        var offsets = plan.Memory.Offsets;
        Assert.NotEqual(offsets[f.Next.Id], offsets[f.Dz.Id]);
        Assert.NotEqual(offsets[f.Next.Id], offsets[f.X.Id]);
        Assert.Empty(StreamHazardChecker.Check(plan));

        // numerically too, with the side step run as late as the join allows
        plan.Run();
        Assert.True(f.Backend.DeferredLaunches > 0);
        Assert.Equal(1, f.Backend.Joins);
        var host = new float[100];
        f.Backend.Download(f.Result.All, host);
        Assert.All(host, v => Assert.Equal(5f, v));
        f.Backend.Download(plan[f.Next], host);
        Assert.All(host, v => Assert.Equal(20f, v));
    }

    [Fact]
    public void Without_side_lifetimes_the_oracle_sees_the_main_chain_overwrite_what_the_side_step_reads()
    {
        // The planner as it was: lifetimes end at the last use in list order, so "next" takes the bytes of dz or x.
        using var f = new Fixture();
        var schedule = StreamSchedule.Build(f.Graph.Steps, twoStreams: true);
        var memory = MemoryPlanner.Plan(f.Graph.Tensors, f.Graph.Steps, sizeof(float));
        Assert.Contains(memory.Offsets[f.Next.Id], new[] { memory.Offsets[f.Dz.Id], memory.Offsets[f.X.Id] });
        var hazards = StreamHazardChecker.Check(f.Graph.Steps, schedule.Program, t => Where(t, memory.Offsets));
        Assert.Contains(hazards, h => h.StartsWith("weight_gradient (side) and next_layer (main)", StringComparison.Ordinal));

        // and with them, none
        var planned = MemoryPlanner.Plan(f.Graph.Tensors, f.Graph.Steps, sizeof(float), schedule);
        Assert.Empty(StreamHazardChecker.Check(f.Graph.Steps, schedule.Program, t => Where(t, planned.Offsets)));
    }

    [Fact]
    public void The_oracle_reports_a_missing_join()
    {
        using var f = new Fixture();
        var program = StreamSchedule.Build(f.Graph.Steps, twoStreams: true).Program.Where(op => op.Kind != PlanOpKind.Join).ToList();
        var memory = MemoryPlanner.Plan(f.Graph.Tensors, f.Graph.Steps, sizeof(float), StreamSchedule.Build(f.Graph.Steps, true));
        var hazards = StreamHazardChecker.Check(f.Graph.Steps, program, t => Where(t, memory.Offsets));
        Assert.Contains(hazards, h => h.StartsWith("weight_gradient (side) and optimizer (main)", StringComparison.Ordinal));
        Assert.Contains(hazards, h => h.Contains("not joined by the end", StringComparison.Ordinal));
    }

    private static StreamHazardChecker.Range Where(Tensor t, IReadOnlyDictionary<int, long> offsets)
    {
        var root = t.Root;
        if (root.Storage == TensorStorage.External)
        {
            var view = root.External!.Value;
            return new(view.Buffer, view.Offset, view.Offset + t.Length);
        }
        long offset = offsets[root.Id];
        return new(root.Type == ElementType.Real ? RealArena : IntArena, offset, offset + t.Length);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_preset_s_training_plan_is_free_of_stream_hazards(string model)
    {
        using var backend = new DeferredSideBackend(new CpuBackend("managed"));
        using var network = new Network(backend, Presets.Get(model).Model);
        using var accumulators = backend.Allocate(3);
        foreach (var kind in new[] { PlanKind.Train, PlanKind.Gradient })
        {
            using var compiled = network.BuildPlan(kind, 7, new PlanInputs(), accumulators.All, () => new OptimizerStep(OptimizerKind.Adam, 1e-3f, 1));
            var steps = compiled.Plan.Steps;
            var schedule = compiled.Plan.Schedule;
            // exactly the parameter-gradient steps (dW, db, a direct convolution's dW+db, and a penalty's direct dW term) go to
            // the side stream (a dense layer's dW GEMM gives its db too, GemmActivationGradient)
            Assert.All(steps, s => Assert.Equal(IsParameterGradient(s.Name) ? StepStream.Side : StepStream.Main, s.Stream));
            Assert.True(steps.Count(s => s.Stream == StepStream.Side) >= network.Layers.Count(l => l.Parameters.Count > 0));
            Assert.Equal(SideRuns(steps), schedule.Forks);   // one fork per contiguous run of side steps
            Assert.Equal(1, schedule.Joins);                 // before the optimizer (Train) or at the end (Gradient)
            var hazards = StreamHazardChecker.Check(compiled.Plan);
            Assert.True(hazards.Count == 0, $"{model} {kind}:\n{string.Join("\n", hazards)}");
        }
    }

    internal static bool IsParameterGradient(string step) =>
        step.EndsWith("weight_gradient", StringComparison.Ordinal) || step.EndsWith("bias_gradient", StringComparison.Ordinal)
        || step.EndsWith("filter_gradient", StringComparison.Ordinal);

    internal static int SideRuns(IReadOnlyList<Step> steps) =>
        steps.Where((s, i) => s.Stream == StepStream.Side && (i == 0 || steps[i - 1].Stream == StepStream.Main)).Count();

    [Theory]
    [MemberData(nameof(Models))]
    public void Training_with_the_side_stream_deferred_to_its_joins_gives_the_single_stream_bits(string model)
    {
        var images = new float[48 * 784];
        var random = new System.Random(5);
        for (int i = 0; i < images.Length; i++) images[i] = random.NextSingle();
        var data = new Dataset("synthetic", images, 48, 1, 28, 28);

        (EpochMetrics, float[]) Train(Func<IBackend, IBackend> wrap, bool sideStream, bool profile)
        {
            using var backend = wrap(new CpuBackend("managed"));
            var preset = Presets.Get(model);
            using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = 16 }, seed: 9);
            trainer.SideStream = sideStream;
            if (profile) trainer.StepProfile = [];
            using var set = new DeviceDataset(backend, data);
            trainer.TrainEpoch(set);
            var metrics = trainer.TrainEpoch(set, set);
            if (backend is DeferredSideBackend deferred)
                Assert.Equal(sideStream, deferred.DeferredLaunches > 0);
            var parameters = new float[trainer.Network.Parameters.Length];
            backend.Download(trainer.Network.Parameters.Values.All, parameters);
            return (metrics with { EpochSeconds = 0, SamplesPerSecond = 0 }, parameters);
        }

        var reference = Train(b => b, sideStream: false, profile: false);
        foreach (var (sideStream, profile) in new[] { (true, false), (false, false), (true, true) })
        {
            var (metrics, parameters) = Train(b => new DeferredSideBackend(b), sideStream, profile);
            Assert.Equal(reference.Item1, metrics);
            Assert.True(reference.Item2.AsSpan().SequenceEqual(parameters), $"{model}: parameters differ (side {sideStream}, profile {profile})");
        }
        var plain = Train(b => b, sideStream: true, profile: false);   // in-order backend: side steps inline
        Assert.True(reference.Item2.AsSpan().SequenceEqual(plain.Item2));
    }
}

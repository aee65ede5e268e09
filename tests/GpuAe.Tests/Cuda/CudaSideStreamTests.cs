using System.Text.RegularExpressions;
using GpuAe.Backends;
using GpuAe.Backends.Cuda;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Cuda;

/// <summary>The training step on two CUDA streams, against the fake driver: which launches go where, and the
/// event calls that fork and join them, eagerly and under graph capture.</summary>
public sealed partial class CudaSideStreamTests
{
    public static TheoryData<string> Models => new(Presets.Names);

    private sealed class Setup : IDisposable
    {
        public readonly FakeCudaDriver Driver = new();
        public readonly CudaBackend Backend;
        public readonly Network Network;
        public readonly CompiledPlan Plan;
        private readonly DeviceBuffer _accumulators;
        private readonly DeviceDataset _data;

        public Setup(string model)
        {
            Backend = new CudaBackend(Driver);
            Network = new Network(Backend, Presets.Get(model).Model);
            _accumulators = Backend.Allocate(3);
            _data = new DeviceDataset(Backend, new Dataset("synthetic", new float[8 * 784], 8, 1, 28, 28));
            Plan = Network.BuildPlan(PlanKind.Train, 8, PlanInputs.Of(_data), _accumulators.All,
                () => new OptimizerStep(OptimizerKind.Adam, 1e-3f, 1));
            Driver.Calls.Clear();
        }

        /// <summary>The calls as "main X" / "side X" launches (GEMM tiles dropped) and fork / side waits / back / join.</summary>
        public List<string> Trace() => Driver.Calls.Select(c =>
        {
            string main = $"s{Backend.MainStream}", side = $"s{Backend.SideStream}";
            if (c.StartsWith("launch ", StringComparison.Ordinal))
                return $"{(c.EndsWith(" on " + side, StringComparison.Ordinal) ? "side" : "main")} {GemmTile().Replace(c.Split(' ')[1], "gemm_")}";
            if (c.StartsWith("record", StringComparison.Ordinal)) return c.EndsWith(" on " + main, StringComparison.Ordinal) ? "fork" : "back";
            if (c.Contains(" waits ", StringComparison.Ordinal)) return c.StartsWith(side + " ", StringComparison.Ordinal) ? "side waits" : "join";
            return c;
        }).ToList();

        public void Dispose()
        {
            Plan.Dispose();
            _data.Dispose();
            _accumulators.Dispose();
            Network.Dispose();
            Backend.Dispose();
        }
    }

    [GeneratedRegex("^gemm_(f32_t\\d+|tf32)_")]
    private static partial Regex GemmTile();

    // dense32 backward: output layer (linear: BCE takes the logits) then the relu code layer, which needs no dx
    private static readonly string[] Dense32Backward =
    [
        "main loss_lanes",                                                       // loss, gradient and its reduction: one launch
        "fork", "side waits", "side gemm_tn", "back",                            // layer 1 (linear): dW = dzᵀx and db in one GEMM
        "main gemm_nn",                                                          // layer 1: dx = dz W, meanwhile
        "fork", "side waits", "side gemm_tn", "back",                            // layer 0: dW and db, dz = dy·relu'(y) on the loads
        "join",                                                                  // the optimizer reads every gradient
    ];

    [Fact]
    public void The_training_step_runs_parameter_gradients_on_the_side_stream_and_joins_once_before_the_optimizer()
    {
        using var s = new Setup("dense32");
        s.Plan.Plan.Run();
        var trace = s.Trace();
        int loss = trace.IndexOf("main loss_lanes");
        Assert.Equal([.. Dense32Backward, "main optimizer_update"], trace.Skip(loss));
        Assert.All(trace.Take(loss), t => Assert.StartsWith("main ", t));
    }

    [Fact]
    public void The_captured_step_keeps_the_fork_and_join_and_ends_joined()
    {
        using var s = new Setup("dense32");
        using var graph = s.Backend.CaptureStep(s.Plan.Plan.Run, 4);   // the fake rejects an unjoined capture
        var trace = s.Trace();
        int begin = trace.FindIndex(t => t.StartsWith("begin capture", StringComparison.Ordinal));
        int end = trace.FindIndex(t => t.StartsWith("end capture", StringComparison.Ordinal));
        var captured = trace.Skip(begin + 1).Take(end - begin - 1).ToList();
        int loss = captured.IndexOf("main loss_lanes");
        Assert.Equal("main gemm_nt_stepped", captured[0]);   // the batch gathered on the encoder GEMM's loads
        Assert.Equal([.. Dense32Backward, "main optimizer_update_stepped", "main step_advance"], captured.Skip(loss));
        graph.BeginEpoch([new OptimizerStep(OptimizerKind.Adam, 1e-3f, 1)]);
        graph.Replay();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_preset_forks_once_per_trainable_layer_and_sends_only_parameter_gradients_to_the_side(string model)
    {
        using var s = new Setup(model);
        int trainable = GpuAe.Tests.Graph.SideStreamTests.SideRuns(s.Plan.Plan.Steps);
        int sideSteps = s.Plan.Plan.Steps.Count(step => step.Stream == GpuAe.Graph.StepStream.Side);
        s.Plan.Plan.Run();
        var trace = s.Trace();
        Assert.Equal(trainable, trace.Count(t => t == "fork"));
        Assert.Equal(trainable, trace.Count(t => t == "side waits"));
        Assert.Equal(trainable, trace.Count(t => t == "back"));
        Assert.Equal(1, trace.Count(t => t == "join"));
        var side = trace.Where(t => t.StartsWith("side ", StringComparison.Ordinal) && t != "side waits").ToList();
        Assert.Equal(sideSteps, side.Count);   // dW and db of every layer with parameters (and a penalty's dW term)
        Assert.All(side, t => Assert.Matches("^side (gemm_(tn|nt)|column_sums|row_sums|contractive_penalty|conv_backward_filter)$", t));
        Assert.Equal("main optimizer_update", trace[^1]);
        Assert.Equal("join", trace[^2]);

        s.Driver.Calls.Clear();
        using var graph = s.Backend.CaptureStep(s.Plan.Plan.Run, 2);
        Assert.Equal(1, s.Trace().Count(t => t == "join"));
    }
}

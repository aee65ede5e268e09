using GpuAe.Backends;
using GpuAe.Backends.Cuda;

namespace GpuAe.Tests.Cuda;

/// <summary>Graph capture and two-stream bookkeeping against the fake driver.</summary>
public sealed class CudaGraphCaptureTests
{
    [Fact]
    public void A_captured_step_reads_batch_start_and_optimizer_scalars_from_device_memory()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var images = b.Allocate(100 * 10);
        var order = b.Allocate(100, ElementType.Int32);
        var batch = b.Allocate(4 * 10);
        var p = b.Allocate(50);
        var g = b.Allocate(50);
        var s1 = b.Allocate(50);
        var s2 = b.Allocate(50);
        var noise = b.Allocate(4 * 10);
        int step = 1;
        using var graph = b.CaptureStep(() =>
        {
            b.GatherRows(images.All, 10, order.Slice(0, 4), batch.All);
            b.RandomForStep(RandomDistribution.Normal, 7, step, noise.All);
            b.ForkToSide();
            b.Scale(g.All, 0.5f);            // e.g. a weight-gradient chain on the side stream
            b.BackToMain();
            b.JoinSide();
            b.OptimizerUpdate(new OptimizerStep(OptimizerKind.Adam, 1e-3f, step), p.All, g.All, s1.All, s2.All);
        }, maxStepsPerEpoch: 25);

        var captured = d.Calls.SkipWhile(c => !c.StartsWith("begin capture", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("begin capture", captured[0]);
        Assert.StartsWith("end capture", captured[^1]);
        var launches = captured.Where(c => c.StartsWith("launch", StringComparison.Ordinal)).Select(c => c.Split(' ')[1]).ToArray();
        Assert.Equal(new[] { "gather_rows_stepped", "random_fill_stepped", "scale", "optimizer_update_stepped", "step_advance" }, launches);
        // fork/join: record on main, side waits; record on side, main waits
        Assert.Contains(captured, c => c.Contains("waits", StringComparison.Ordinal) && c.StartsWith($"s{b.SideStream}", StringComparison.Ordinal));
        Assert.Contains(captured, c => c.Contains("waits", StringComparison.Ordinal) && c.StartsWith($"s{b.MainStream}", StringComparison.Ordinal));
        Assert.Equal(b.SideStream, d.Launches.Single(l => l.Entry == "scale").Stream);
        Assert.DoesNotContain(captured, c => c.StartsWith("sync", StringComparison.Ordinal) || c.StartsWith("htod", StringComparison.Ordinal));

        // the step-dependent values are NOT kernel arguments: gather gets the order's base offset, the optimizer no lr
        var gather = d.Launches.Single(l => l.Entry == "gather_rows_stepped");
        Assert.Equal(0, gather.Arguments[4]);
        var counter = (ulong)gather.Arguments[8];
        var optimizer = d.Launches.Single(l => l.Entry == "optimizer_update_stepped");
        // (kind, flags, n, 5 views of pointer + offset, c1, 1-c1, c2, 1-c2, eps, l2, counter, table): no per-step scalar
        Assert.Equal(counter, (ulong)optimizer.Arguments[19]);
        Assert.Equal(0.9f, (float)optimizer.Arguments[13]);
        Assert.Equal((float)(1 - 0.9), (float)optimizer.Arguments[14]);     // 1 - beta1 formed in double
        Assert.Equal((float)(1 - 0.999), (float)optimizer.Arguments[16]);
        Assert.Equal(counter, (ulong)d.Launches.Single(l => l.Entry == "step_advance").Arguments[0]);
        // the noise stream starts at t * blocks with t from the table: blocks per step is the argument, not an offset
        var random = d.Launches.Single(l => l.Entry == "random_fill_stepped");
        Assert.Equal(10UL, (ulong)random.Arguments[2]);
        Assert.Equal(counter, (ulong)random.Arguments[6]);
        var stepNumbers = (ulong)random.Arguments[7];

        // per epoch: one table upload (step size lr/(1-b1^t), sqrt(1-b2^t), decay) and a counter reset, then one graph launch per step
        d.HostToDevice.Clear();
        var steps = Enumerable.Range(1, 3).Select(t => new OptimizerStep(OptimizerKind.Adam, 1e-3, t)).ToArray();
        graph.BeginEpoch(steps);
        var table = d.HostToDevice[0].Bytes;
        var floats = new float[9];
        Buffer.BlockCopy(table, 0, floats, 0, 36);
        Assert.True((float)(1e-3 / (1 - 0.9)) == floats[0], string.Join(",", floats));   // formed in double, rounded once
        Assert.Equal((float)Math.Sqrt(1 - 0.999), floats[1]);
        Assert.Equal((float)(1e-3 / (1 - Math.Pow(0.9, 3))), floats[6]);
        Assert.Equal((float)Math.Sqrt(1 - Math.Pow(0.999, 3)), floats[7]);
        Assert.Equal(1f, floats[8]);                              // Adam: no decoupled decay
        Assert.Equal(stepNumbers, d.HostToDevice[1].Destination);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0 }, d.HostToDevice[1].Bytes);
        Assert.Equal(new byte[4], d.HostToDevice[2].Bytes);
        Assert.Equal(counter, d.HostToDevice[2].Destination);
        d.Calls.Clear();
        for (int i = 0; i < 3; i++) graph.Replay();
        Assert.Equal(3, d.Calls.Count(c => c.StartsWith("graph", StringComparison.Ordinal)));
        Assert.DoesNotContain(d.Calls, c => c.StartsWith("sync", StringComparison.Ordinal));   // no host sync inside an epoch
        Assert.Throws<InvalidOperationException>(graph.Replay);                                 // table exhausted
    }

    [Fact]
    public void Random_for_step_outside_capture_is_random_at_the_step_offset()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var noise = b.Allocate(9);
        b.RandomForStep(RandomDistribution.Uniform, 5, 4, noise.All);
        var launch = d.Launches.Single();
        Assert.Equal("random_fill", launch.Entry);
        Assert.Equal(4UL * 3, (ulong)launch.Arguments[2]);   // t * ceil(9 / 4)
    }

    [Fact]
    public void A_step_that_leaves_the_side_stream_open_or_unjoined_fails_capture_cleanly()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var x = b.Allocate(10);
        int before = d.LiveAllocations;
        var open = Assert.Throws<InvalidOperationException>(() => b.CaptureStep(() => { b.ForkToSide(); b.Scale(x.All, 2f); }, 4));
        Assert.Contains("side stream open", open.Message);
        var unjoined = Assert.Throws<InvalidOperationException>(() => b.CaptureStep(() => { b.ForkToSide(); b.Scale(x.All, 2f); b.BackToMain(); }, 4));
        Assert.Contains("not joined", unjoined.Message);
        Assert.Equal(before, d.LiveAllocations);
        b.Scale(x.All, 2f);   // the backend is usable again, on the main stream
        Assert.Equal(b.MainStream, d.Launches[^1].Stream);
        using var graph = b.CaptureStep(() => { b.ForkToSide(); b.Scale(x.All, 2f); b.BackToMain(); b.JoinSide(); }, 4);
    }

    [Fact]
    public void Stream_switches_out_of_order_are_clear_errors()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        Assert.Contains("ForkToSide missing", Assert.Throws<InvalidOperationException>(b.BackToMain).Message);
        Assert.Contains("no side work", Assert.Throws<InvalidOperationException>(b.JoinSide).Message);
        b.ForkToSide();
        Assert.Contains("already on the side stream", Assert.Throws<InvalidOperationException>(b.ForkToSide).Message);
        Assert.Contains("still on the side stream", Assert.Throws<InvalidOperationException>(b.JoinSide).Message);
        b.BackToMain();
        b.JoinSide();
    }

    [Fact]
    public void The_fake_driver_rejects_a_capture_whose_fork_is_not_joined()
    {
        // the rule the backend's own check mirrors, so the fake can be trusted to catch an executor that forgets a join
        var d = new FakeCudaDriver();
        nint main = d.CreateStream(), side = d.CreateStream(), fork = d.CreateEvent(), back = d.CreateEvent();
        d.BeginCapture(main);
        d.RecordEvent(fork, main);
        d.WaitEvent(side, fork);
        d.RecordEvent(back, side);
        Assert.Equal(904, Assert.Throws<CudaException>(() => d.EndCaptureAndInstantiate(main)).Code);
        d.BeginCapture(main);
        d.RecordEvent(fork, main);
        d.WaitEvent(side, fork);
        d.RecordEvent(back, side);
        d.WaitEvent(main, back);
        d.EndCaptureAndInstantiate(main);
    }

    [Fact]
    public void Epoch_table_is_bounded_by_the_capture()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var x = b.Allocate(10);
        using var graph = b.CaptureStep(() => b.Scale(x.All, 2f), 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.BeginEpoch(new OptimizerStep[3]));
    }

    [Fact]
    public void Reductions_on_the_two_streams_use_separate_partial_sums()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var x = b.Allocate(1000);
        var r = b.Allocate(2);
        b.Sum(x.All, r.Slice(0, 1), false);
        b.ForkToSide();
        b.Sum(x.All, r.Slice(1, 1), false);
        b.BackToMain();
        b.JoinSide();
        var partials = d.Launches.Where(l => l.Entry == "sum_partials").Select(l => (ulong)l.Arguments[3]).ToArray();
        Assert.Equal(2, partials.Distinct().Count());
    }
}

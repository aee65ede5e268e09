using GpuAe.Backends;
using GpuAe.Backends.Cuda;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Cuda;

/// <summary>The fused entries of issue #13 on CUDA over the fake driver: loss_lanes and activation_backward_bias pack
/// what their PTX declares, cover their domain, and replace the unfused launches in a captured training step.</summary>
public sealed class CudaFusedFakeDriverTests
{
    [Theory]
    [InlineData(1, 64, 1)]
    [InlineData(100, 64, 2)]           // 100 elements: two blocks of 64
    [InlineData(200_704, 64, 64)]      // dense32's 256 x 784: every lane
    [InlineData(200_704, 3, 3)]        // fewer lanes than blocks would like: one block per lane
    public void Loss_lanes_packs_its_ptx_signature_with_one_block_per_lane(int n, int lanes, int blocks)
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var p = b.Allocate(n + 3);
        var t = b.Allocate(n + 5);
        var g = b.Allocate(n + 7);
        var l = b.Allocate(lanes + 2);
        b.LossLanes(LossKind.BinaryCrossEntropyWithLogits, p.Slice(3, n), t.Slice(5, n), 0.5f, l.Slice(2, lanes), g.Slice(7, n));
        b.LossLanes(LossKind.SquaredError, p.Slice(3, n), t.Slice(5, n), 0.25f, l.Slice(2, lanes), null);
        var launch = d.Launches[0];
        Assert.Equal("loss_lanes", launch.Entry);
        Assert.Equal(new object[] { (int)LossKind.BinaryCrossEntropyWithLogits, n }, launch.Arguments[..2]);
        Assert.Equal(3, launch.Arguments[3]);
        Assert.Equal(5, launch.Arguments[5]);
        Assert.Equal(0.5f, launch.Arguments[6]);
        Assert.Equal(new object[] { 7, 1 }, launch.Arguments[8..10]);
        Assert.Equal(2, launch.Arguments[11]);
        Assert.Equal(new LaunchGeometry((uint)blocks, 1, 1, Geometry.ReduceBlock), launch.Geometry);
        Assert.Equal(0, d.Launches[1].Arguments[9]);   // no gradient: the flag is off
        Assert.Equal(2, d.Launches.Count);             // one launch each: no second reduction stage
        Assert.Equal(2, b.Launches.Total);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(256, 32)]
    [InlineData(7, 1003)]
    public void Activation_backward_bias_packs_its_ptx_signature_with_one_thread_per_column(int rows, int cols)
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        var y = b.Allocate(rows * cols + 1);
        var dy = b.Allocate(rows * cols + 2);
        var db = b.Allocate(cols + 3);
        b.ActivationBackwardBias(Activation.Relu, rows, cols, y.Slice(1, rows * cols), dy.Slice(2, rows * cols), dy.Slice(2, rows * cols), db.Slice(3, cols));
        var launch = Assert.Single(d.Launches);
        Assert.Equal("activation_backward_bias", launch.Entry);
        Assert.Equal(new object[] { (int)Activation.Relu, rows, cols }, launch.Arguments[..3]);
        Assert.Equal(1, launch.Arguments[4]);
        Assert.Equal(2, launch.Arguments[6]);
        Assert.Equal(2, launch.Arguments[8]);
        Assert.Equal(3, launch.Arguments[10]);
        Assert.True(launch.Geometry.Threads >= cols && launch.Geometry.Threads - cols < Geometry.ElementwiseBlock);
    }

    [Fact]
    public void A_captured_dense_step_launches_the_fused_kernels_instead_of_the_unfused_ones()
    {
        var d = new FakeCudaDriver();
        using var backend = new CudaBackend(d);
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = 32 }, seed: 1);
        using var data = new DeviceDataset(backend, new Dataset("synthetic", new float[100 * 784], 100, 1, 28, 28));
        d.Launches.Clear();
        backend.Launches.Reset();
        trainer.TrainEpoch(data);

        Assert.Equal(1, d.Calls.Count(c => c.StartsWith("begin capture", StringComparison.Ordinal)));
        var entries = d.Launches.Select(l => l.Entry).ToList();
        Assert.Single(entries, "loss_lanes");
        Assert.Single(entries, "activation_backward_bias");       // the encoder's relu; the decoder is linear (BCE on logits)
        Assert.DoesNotContain("loss_partials", entries);
        Assert.DoesNotContain("sum_final", entries);
        Assert.DoesNotContain("activation_backward_relu", entries);
        // the counter saw the same launches as the driver (captured once; replays launch the graph)
        Assert.Equal(d.Launches.Count, backend.Launches.Total);
    }
}

using GpuAe.Backends;
using GpuAe.Backends.Cuda;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Cuda;

/// <summary>The fused entries of issue #13 on CUDA over the fake driver: loss_lanes, activation_backward_bias and the
/// GEMMs' fused operand forms pack what their PTX declares, cover their domain, and replace the unfused launches in a
/// captured training step.</summary>
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
        // dense backward: the activation derivative on the GEMMs' loads and db from the dW GEMM (no dz launch, no db launch)
        Assert.DoesNotContain("activation_backward_bias", entries);
        Assert.DoesNotContain("column_sums", entries);
        // the batch gather on the encoder GEMM's loads, reading the replayed step's position
        Assert.DoesNotContain("gather_rows_stepped", entries);
        Assert.DoesNotContain("gather_rows", entries);
        Assert.Single(entries, e => e.EndsWith("_nt_stepped", StringComparison.Ordinal));
        Assert.DoesNotContain("loss_partials", entries);
        Assert.DoesNotContain("sum_final", entries);
        Assert.DoesNotContain("activation_backward_relu", entries);
        // the epoch zeroes its loss lanes; the captured step: gather+gemm, gemm, loss, dW+db and dx of the decoder,
        // dW+db of the encoder, optimizer, step_advance (8 launches; 11 before the GEMM fusions)
        Assert.Equal(["fill", "gemm_nt_stepped", "gemm_nt", "loss_lanes", "gemm_tn", "gemm_nn", "gemm_tn", "optimizer_update_stepped", "step_advance"],
            entries.Select(e => System.Text.RegularExpressions.Regex.Replace(e, "^gemm_f32_t\\d+_", "gemm_")));
        // the counter saw the same launches as the driver (captured once; replays launch the graph)
        Assert.Equal(d.Launches.Count, backend.Launches.Total);
    }

    [Theory]
    [InlineData(1, 1, 1, Transpose.Yes, Transpose.No)]
    [InlineData(32, 784, 256, Transpose.Yes, Transpose.No)]   // dense32's encoder dW (+ db)
    [InlineData(256, 784, 32, Transpose.No, Transpose.No)]    // dense32's decoder dx
    [InlineData(7, 13, 5, Transpose.No, Transpose.Yes)]
    public void Gemm_activation_gradient_packs_the_fusion_arguments_after_the_gemm_ones(int m, int n, int k, Transpose ta, Transpose tb)
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d, new CudaOptions { Precision = GemmPrecision.Tf32 });   // fused forms never take the TF32 path
        int aLength = m * k, bLength = k * n;
        var y = b.Allocate(aLength + 1);
        var dy = b.Allocate(aLength + 2);
        var bm = b.Allocate(bLength);
        var c = b.Allocate(m * n + 4);
        var sums = b.Allocate(m + 3);
        b.GemmActivationGradient(ta, tb, m, n, k, Activation.Sigmoid, y.Slice(1, aLength), dy.Slice(2, aLength), ta == Transpose.No ? k : m,
            bm.All, tb == Transpose.No ? n : k, c.Slice(4, m * n), n, sums.Slice(3, m));
        b.GemmActivationGradient(ta, tb, m, n, k, Activation.Linear, y.Slice(1, aLength), dy.Slice(2, aLength), ta == Transpose.No ? k : m,
            bm.All, tb == Transpose.No ? n : k, c.Slice(4, m * n), n);
        Assert.Equal(2, d.Launches.Count);
        var fused = d.Launches[0];
        Assert.Matches("^gemm_f32_t\\d+_" + (ta == Transpose.Yes ? "t" : "n") + (tb == Transpose.Yes ? "t" : "n") + "$", fused.Entry);
        Assert.Equal(28, fused.Arguments.Length);
        Assert.Equal(new object[] { m, n, k, 1f }, fused.Arguments[..4]);
        Assert.Equal(2, fused.Arguments[5]);     // A is dy
        Assert.Equal(0f, fused.Arguments[10]);   // beta
        Assert.Equal((int)(GemmFuse.ActivationDerivative | GemmFuse.RowSums), fused.Arguments[18]);
        Assert.Equal((int)Activation.Sigmoid, fused.Arguments[19]);
        Assert.Equal(1, fused.Arguments[21]);    // y's offset
        Assert.Equal(3, fused.Arguments[23]);    // row sums' offset
        // linear without row sums is a plain GEMM (fuse = 0), which may take the TF32 path the backend opted into
        var plain = d.Launches[1];
        Assert.True(plain.Entry.StartsWith("gemm_tf32_", StringComparison.Ordinal) || (int)plain.Arguments[18] == 0, plain.Entry);
    }

    [Fact]
    public void Gemm_gather_rows_reads_rows_through_the_indices_and_outside_capture_takes_the_plain_entry()
    {
        var d = new FakeCudaDriver();
        using var b = new CudaBackend(d);
        int m = 5, n = 7, k = 3;
        var source = b.Allocate(10 * k);
        var order = b.Allocate(9, ElementType.Int32);
        var gathered = b.Allocate(m * k + 2);
        var w = b.Allocate(n * k);
        var bias = b.Allocate(n);
        var c = b.Allocate(m * n);
        b.GemmGatherRows(Transpose.Yes, m, n, k, source.All, order.Slice(4, m), gathered.Slice(2, m * k), w.All, k, c.All, n, BiasMode.PerColumn, bias.All, Activation.Relu);
        var launch = Assert.Single(d.Launches);
        Assert.Matches("^gemm_f32_t\\d+_nt$", launch.Entry);
        Assert.Equal(k, launch.Arguments[6]);    // lda: source rows of k
        Assert.Equal((int)GemmFuse.GatherRows, launch.Arguments[18]);
        Assert.Equal(4, launch.Arguments[25]);   // the batch's first index
        Assert.Equal(2, launch.Arguments[27]);   // gathered's offset
        Assert.Throws<ArgumentException>(() => b.GemmGatherRows(Transpose.Yes, m, n, k, source.Slice(0, 29), order.Slice(4, m),
            gathered.Slice(2, m * k), w.All, k, c.All, n));
    }
}

using GpuAe.Backends.Cuda;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Cuda;

/// <summary>The trainer on a capturing backend (CUDA over the fake driver): one capture per plan and data
/// set, one graph launch per step, no host sync inside an epoch, and the same step count as eager training.</summary>
public class CudaTrainerCaptureTests
{
    [Fact]
    public void Epochs_replay_one_captured_step_per_batch_without_host_syncs()
    {
        var d = new FakeCudaDriver();
        using var backend = new CudaBackend(d);
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = 32 }, seed: 1);
        var images = new float[100 * 784];
        using var data = new DeviceDataset(backend, new Dataset("synthetic", images, 100, 1, 28, 28));

        d.Calls.Clear();
        trainer.TrainEpoch(data);
        trainer.TrainEpoch(data);

        Assert.Equal(1, d.Calls.Count(c => c.StartsWith("begin capture", StringComparison.Ordinal)));
        Assert.Equal(2 * 3, d.Calls.Count(c => c.StartsWith("graph ", StringComparison.Ordinal))); // 100 / 32 = 3 steps per epoch
        Assert.Equal(6, trainer.Step);
        // Between the first and the last replay of an epoch the host never waits for the device.
        int first = d.Calls.FindIndex(c => c.StartsWith("graph ", StringComparison.Ordinal));
        int last = d.Calls.FindIndex(first, c => c.StartsWith("dtoh", StringComparison.Ordinal));
        Assert.DoesNotContain(d.Calls.Skip(first).Take(last - first), c => c.StartsWith("sync", StringComparison.Ordinal));
        Assert.Contains(d.Launches, l => l.Entry.EndsWith("_nt_stepped", StringComparison.Ordinal));   // gather on the first GEMM's loads
        Assert.Contains(d.Launches, l => l.Entry == "optimizer_update_stepped");
    }

    /// <summary>The learning rate is not baked into the captured graph: a schedule that changes it between epochs changes
    /// the step table uploaded per epoch (one capture for the whole run), here StepLR halving AdamW's rate, which moves
    /// both its step size and its decoupled decay 1 - lr·wd.</summary>
    [Fact]
    public void A_schedule_changes_the_per_epoch_step_table_not_the_captured_graph()
    {
        var d = new FakeCudaDriver();
        using var backend = new CudaBackend(d);
        var preset = Presets.Get("dense32");
        var recipe = new TrainingRecipe(Backends.OptimizerKind.AdamW, 0.01f, 32, 3, WeightDecay: 0.1f) { Schedule = new StepLrSchedule(1, 0.5) };
        using var trainer = new Trainer(backend, preset.Model, recipe, seed: 1);
        using var data = new DeviceDataset(backend, new Dataset("synthetic", new float[100 * 784], 100, 1, 28, 28));

        var tables = new List<float[]>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            d.HostToDevice.Clear();
            var metrics = trainer.TrainEpoch(data);
            Assert.Equal(0.01 * Math.Pow(0.5, epoch), metrics.LearningRate, 15);
            // the first upload of 3 steps x 3 floats is the step table
            var upload = d.HostToDevice.First(h => h.Bytes.Length == 36).Bytes;
            var floats = new float[9];
            Buffer.BlockCopy(upload, 0, floats, 0, 36);
            tables.Add(floats);
        }
        Assert.Equal(1, d.Calls.Count(c => c.StartsWith("begin capture", StringComparison.Ordinal)));
        for (int epoch = 0; epoch < 3; epoch++)
            for (int s = 0; s < 3; s++)
            {
                var expected = recipe.OptimizerStepAt(0.01 * Math.Pow(0.5, epoch), 3 * epoch + s + 1).Scalars();
                Assert.Equal((float)expected.StepSize, tables[epoch][3 * s]);
                Assert.Equal((float)expected.Aux, tables[epoch][3 * s + 1]);
                Assert.Equal((float)expected.Decay, tables[epoch][3 * s + 2]);
                Assert.Equal((float)(1 - 0.01 * Math.Pow(0.5, epoch) * 0.1), tables[epoch][3 * s + 2]);
            }
    }

    [Fact]
    public void A_vae_step_is_captured_with_its_noise_read_from_the_step_table()
    {
        var d = new FakeCudaDriver();
        using var backend = new CudaBackend(d);
        var preset = Presets.Get("vae");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = 32 }, seed: 1);
        using var data = new DeviceDataset(backend, new Dataset("synthetic", new float[100 * 784], 100, 1, 28, 28));

        d.Calls.Clear();
        d.Launches.Clear();
        trainer.TrainEpoch(data);

        Assert.Equal(1, d.Calls.Count(c => c.StartsWith("begin capture", StringComparison.Ordinal)));
        Assert.Equal(3, d.Calls.Count(c => c.StartsWith("graph ", StringComparison.Ordinal)));
        // ε: the captured launch reads t from the table (a plain random_fill would replay step 1's numbers)
        var eps = d.Launches.Single(l => l.Entry.StartsWith("random_fill", StringComparison.Ordinal));
        Assert.Equal("random_fill_stepped", eps.Entry);
        Assert.Equal((ulong)(32 * 20 + 3) / 4, eps.Arguments[2]);   // blocks per step = ceil(batch·latent / 4)
        Assert.Contains(d.Launches, l => l.Entry == "vae_reparameterize_forward");
        Assert.Contains(d.Launches, l => l.Entry == "vae_reparameterize_backward_partials");
    }
}

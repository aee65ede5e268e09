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
        Assert.Contains(d.Launches, l => l.Entry == "gather_rows_stepped");
        Assert.Contains(d.Launches, l => l.Entry == "optimizer_update_stepped");
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

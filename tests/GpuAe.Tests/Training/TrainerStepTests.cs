using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>The trainer as libgpuae drives it: a step on a batch already on the device, the model under another recipe,
/// and a cancelled epoch (synthetic data, CPU backend).</summary>
public class TrainerStepTests
{
    private const int Samples = 96, Batch = 16;

    private static Dataset Synthetic()
    {
        var images = new float[Samples * 784];
        for (int i = 0; i < images.Length; i++) images[i] = (uint)((ulong)i * 2654435761u % 1000) / 1000f;
        return new Dataset("synthetic", images, Samples, 1, 28, 28);
    }

    private static Trainer Dense32(IBackend backend, int seed = 4) =>
        new(backend, Presets.Get("dense32").Model, Presets.Get("dense32").Recipe with { BatchSize = Batch }, seed);

    private static float[] Parameters(Trainer trainer)
    {
        var values = new float[trainer.Network.Parameters.Values.Length];
        trainer.Backend.Download(trainer.Network.Parameters.Values.All, values);
        return values;
    }

    [Fact]
    public void Steps_on_an_epochs_batches_give_the_epochs_bits()
    {
        using var backend = new CpuBackend();
        var host = Synthetic();
        using var byEpoch = Dense32(backend);
        using var data = new DeviceDataset(backend, host);
        var metrics = byEpoch.TrainEpoch(data);
        var order = new int[Samples];
        backend.Download(data.Order.All, order); // the epoch's shuffle

        using var bySteps = Dense32(backend);
        using var batch = backend.Allocate(Batch * 784);
        float sum = 0;
        for (int s = 0; s < Samples / Batch; s++)
        {
            var rows = new float[Batch * 784];
            for (int r = 0; r < Batch; r++) host.Sample(order[s * Batch + r]).CopyTo(rows.AsSpan(r * 784, 784));
            backend.Upload(batch.All, rows);
            sum += (float)bySteps.TrainStep(batch.All, Batch); // the device accumulator's float sum
        }

        Assert.Equal(metrics.TrainLoss, sum / (Samples / Batch));
        Assert.Equal(Parameters(byEpoch), Parameters(bySteps));
        Assert.Equal(byEpoch.Step, bySteps.Step);
    }

    [Fact]
    public void A_step_checks_its_batch()
    {
        using var backend = new CpuBackend();
        using var trainer = Dense32(backend);
        using var batch = backend.Allocate(10 * 784);
        Assert.Contains("at least one sample", Assert.Throws<ArgumentException>(() => trainer.TrainStep(batch.All, 0)).Message);
        Assert.Contains("11 samples of 784 values need 8624 values, the batch holds 7840",
            Assert.Throws<ArgumentException>(() => trainer.TrainStep(batch.All, 11)).Message);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void With_recipe_continues_the_model()
    {
        using var backend = new CpuBackend();
        using var data = new DeviceDataset(backend, Synthetic());
        using var original = Dense32(backend);
        original.TrainEpoch(data);

        // The same recipe: the copy trains on exactly as the original does.
        using var same = original.WithRecipe(original.Recipe);
        Assert.Equal((original.Step, original.Epoch, original.Seed), (same.Step, same.Epoch, same.Seed));
        Assert.Equal(original.TrainEpoch(data).TrainLoss, same.TrainEpoch(data).TrainLoss);
        Assert.Equal(Parameters(original), Parameters(same));

        // Another optimizer: the weights and epochs carry over, the optimizer starts from step 0.
        using var sgd = original.WithRecipe(original.Recipe with { Optimizer = OptimizerKind.Sgd, LearningRate = 0.1f });
        Assert.Equal((0, original.Epoch), (sgd.Step, sgd.Epoch));
        Assert.Equal(Parameters(original), Parameters(sgd));
        Assert.Throws<ArgumentException>(() => original.WithRecipe(original.Recipe with { BatchSize = 0 }));
    }

    [Fact]
    public void A_cancelled_epoch_keeps_its_steps_and_not_its_epoch()
    {
        using var backend = new CpuBackend();
        using var data = new DeviceDataset(backend, Synthetic());
        using var trainer = Dense32(backend);
        using var cancel = new CancellationTokenSource();
        int reports = 0;
        var progress = new Inline(_ => { if (++reports == 2) cancel.Cancel(); });

        Assert.Throws<OperationCanceledException>(() => trainer.TrainEpoch(data, progress: progress, cancellation: cancel.Token));
        Assert.Equal((2, 0), (trainer.Step, trainer.Epoch));
        var metrics = trainer.TrainEpoch(data);
        Assert.Equal((8, 1), (trainer.Step, trainer.Epoch));
        Assert.True(double.IsFinite(metrics.TrainLoss));
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class Inline(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}

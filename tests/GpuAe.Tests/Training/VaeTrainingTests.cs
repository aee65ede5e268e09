using GpuAe.Analysis;
using GpuAe.Backends.Cpu;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>The VAE presets on a slice of real MNIST (CPU backend): learning, per-image losses, determinism,
/// reproducible evaluation, codes = the latent mean, decoding a grid.</summary>
[Collection("mnist")]
public class VaeTrainingTests(MnistFixture mnist)
{
    [SkippableFact]
    public void Vae_loss_per_image_decreases()
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get("vae");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 3);
        using var trainSet = new DeviceDataset(backend, train.Subset(0, 2048));
        using var testSet = new DeviceDataset(backend, test.Subset(0, 512));

        var before = trainer.Evaluate(testSet);
        var first = trainer.TrainEpoch(trainSet, testSet);
        var second = trainer.TrainEpoch(trainSet, testSet);

        // per image: an untrained decoder outputs ~0.5 everywhere, BCE ~ 784·ln 2 ≈ 543 nats
        Assert.InRange(before.Loss, 400, 700);
        Assert.True(first.ValLoss < before.Loss, $"{before.Loss} -> {first.ValLoss}");
        Assert.True(second.ValLoss < first.ValLoss, $"{first.ValLoss} -> {second.ValLoss}");
        Assert.True(second.TrainLoss < first.TrainLoss, $"{first.TrainLoss} -> {second.TrainLoss}");
        Assert.InRange(second.ValMse, 0, 0.25); // MSE stays per pixel
    }

    [SkippableFact]
    public void Same_seed_gives_the_same_bits_and_evaluation_is_reproducible()
    {
        var (train, test) = mnist.Data;
        (EpochMetrics, float[], Evaluation) Run(int seed)
        {
            using var backend = new CpuBackend();
            var preset = Presets.Get("vae2d");
            using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed);
            using var trainSet = new DeviceDataset(backend, train.Subset(0, 1024));
            using var testSet = new DeviceDataset(backend, test.Subset(0, 300));
            var m = trainer.TrainEpoch(trainSet, testSet);
            var again = trainer.Evaluate(testSet);
            Assert.Equal(m.ValLoss, again.Loss); // ε of evaluation is a fixed stream
            var parameters = new float[trainer.Network.Parameters.Length];
            backend.Download(trainer.Network.Parameters.Values.All, parameters);
            return (m with { EpochSeconds = 0, SamplesPerSecond = 0 }, parameters, again);
        }

        var (m1, p1, _) = Run(42);
        var (m2, p2, _) = Run(42);
        var (m3, p3, _) = Run(43);

        Assert.Equal(m1, m2);
        Assert.Equal(p1, p2);
        Assert.NotEqual(p1, p3);
        Assert.NotEqual(m1.TrainLoss, m3.TrainLoss);
    }

    [SkippableFact]
    public void Codes_are_the_latent_mean_and_a_grid_decodes_to_images()
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get("vae2d");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1);
        using var trainSet = new DeviceDataset(backend, train.Subset(0, 512));
        using var testSet = new DeviceDataset(backend, test.Subset(0, 130));
        trainer.TrainEpoch(trainSet);

        var codes = trainer.Encode(testSet, 130);   // two batches: 128 + 2
        Assert.Equal(2, trainer.CodeSize);
        Assert.Equal(codes, trainer.Encode(testSet, 130)); // μ, no sampling
        Assert.All(codes, c => Assert.True(float.IsFinite(c)));

        // the decoder alone, over points of the latent (as latent_grid.png)
        var grid = new float[2 * 3];
        for (int i = 0; i < 3; i++) grid[2 * i] = (float)NormalDistribution.Quantile(0.1 + 0.4 * i);
        var images = trainer.Decode(grid);
        Assert.Equal(3 * 784, images.Length);
        Assert.All(images, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(images, trainer.Decode(grid));
        Assert.Throws<ArgumentException>(() => trainer.Decode(new float[3]));
    }

    [SkippableFact]
    public void Resuming_a_vae_draws_the_same_noise_bit_for_bit()
    {
        var (train, _) = mnist.Data;
        var preset = Presets.Get("vae");
        using var backend = new CpuBackend();
        using var trainSet = new DeviceDataset(backend, train.Subset(0, 512));
        using var dir = new TempDirectory();
        float[] Parameters(Trainer t)
        {
            var values = new float[t.Network.Parameters.Length];
            backend.Download(t.Network.Parameters.Values.All, values);
            return values;
        }

        float[] straight;
        using (var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 5))
        {
            trainer.TrainEpoch(trainSet);
            trainer.TrainEpoch(trainSet);
            straight = Parameters(trainer);
        }
        using (var first = new Trainer(backend, preset.Model, preset.Recipe, seed: 5))
        {
            first.TrainEpoch(trainSet);
            Checkpoint.Save(first, dir.File("model.safetensors"));
        }
        using var resumed = Checkpoint.Load(backend, dir.File("model.safetensors"));
        Assert.True(resumed.Model.LossPerImage);
        resumed.TrainEpoch(trainSet);
        Assert.Equal(straight, Parameters(resumed));
    }
}

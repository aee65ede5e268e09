using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;
using Xunit.Abstractions;

namespace GpuAe.Tests.OpenCL;

/// <summary>
/// One epoch of the dense32, conv, conv-transpose and vae presets with the same seed (the VAE draws the same ε: Philox) on OpenCL and on the CPU reference:
/// validation losses agree within 1%. Uses MNIST from the cache folder when present (a subset, to keep
/// the test quick on PoCL), otherwise a deterministic synthetic image set of the same shape.
/// </summary>
[Collection("OpenCL")]
public sealed class OpenClTrainingParityTests(OpenClFixture fixture, ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("dense32", 8192)]
    [InlineData("conv", 1024)]
    [InlineData("vae", 2048)]
    [InlineData("conv-transpose", 1024)]
    public void One_epoch_validation_loss_matches_cpu_within_one_percent(string presetName, int trainCount)
    {
        var backend = fixture.Require();
        var preset = Presets.All.Single(p => p.Name == presetName);
        var (train, validation) = LoadData(trainCount, 512);
        output.WriteLine($"data: {train.Name} {train.Count} train / {validation.Count} validation");

        var cpu = TrainOneEpoch(fixture.Reference, preset, train, validation);
        var ocl = TrainOneEpoch(backend, preset, train, validation);
        double relative = Math.Abs(ocl.ValLoss - cpu.ValLoss) / cpu.ValLoss;
        output.WriteLine($"{presetName}: cpu val {cpu.ValLoss:G9} train {cpu.TrainLoss:G9} ({cpu.EpochSeconds:F2} s); " +
                         $"opencl val {ocl.ValLoss:G9} train {ocl.TrainLoss:G9} ({ocl.EpochSeconds:F2} s); relative difference {relative:E2}");
        Assert.True(double.IsFinite(ocl.ValLoss));
        Assert.True(relative < 0.01, $"{presetName}: OpenCL val loss {ocl.ValLoss} vs CPU {cpu.ValLoss} ({relative:P2} apart)");
    }

    private static EpochMetrics TrainOneEpoch(GpuAe.Backends.IBackend backend, Preset preset, Dataset train, Dataset validation)
    {
        using var trainOnDevice = new DeviceDataset(backend, train);
        using var validationOnDevice = new DeviceDataset(backend, validation);
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 7);
        return trainer.TrainEpoch(trainOnDevice, validationOnDevice);
    }

    internal static (Dataset Train, Dataset Validation) LoadData(int trainCount, int validationCount)
    {
        var directory = MnistLocator.DefaultCacheDirectory();
        if (Mnist.IsPresent(directory))
        {
            var (train, test) = Mnist.Load(directory);
            return (train.Subset(0, Math.Min(trainCount, train.Count)), test.Subset(0, Math.Min(validationCount, test.Count)));
        }
        return (Synthetic("synthetic-train", trainCount, 1), Synthetic("synthetic-validation", validationCount, 2));
    }

    /// <summary>28x28 images in [0,1]: a few soft strokes each, so an autoencoder has structure to learn.</summary>
    private static Dataset Synthetic(string name, int count, int seed)
    {
        var random = new System.Random(seed);
        var images = new float[count * 784];
        for (int n = 0; n < count; n++)
            for (int stroke = 0; stroke < 3; stroke++)
            {
                double x0 = 6 + random.NextDouble() * 16, y0 = 6 + random.NextDouble() * 16;
                double dx = random.NextDouble() * 2 - 1, dy = random.NextDouble() * 2 - 1;
                for (int t = -8; t <= 8; t++)
                {
                    double cx = x0 + dx * t, cy = y0 + dy * t;
                    for (int y = 0; y < 28; y++)
                        for (int x = 0; x < 28; x++)
                        {
                            double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                            if (d2 < 4) images[n * 784 + y * 28 + x] = Math.Max(images[n * 784 + y * 28 + x], (float)(1 - d2 / 4));
                        }
                }
            }
        return new Dataset(name, images, count, 1, 28, 28);
    }
}

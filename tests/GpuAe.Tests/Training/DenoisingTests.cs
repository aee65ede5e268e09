using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Backends.OpenCL;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>Denoising autoencoders: the noise kernel, noisy inputs vs clean targets, determinism and backends.</summary>
[Collection("mnist")]
public class DenoisingTests(MnistFixture mnist)
{
    [Fact]
    public void AddClampedNoise_matches_the_definition_and_clips_both_ends()
    {
        using var cpu = new CpuBackend();
        float[] clean = [0f, 0.2f, 0.9f, 1f, 0.5f, 0.3f, 0.7f];
        float[] noise = [-1f, 0.4f, 0.5f, -3f, 2.5f, 0f, -0.9f];
        var c = cpu.Allocate(clean.Length);
        var n = cpu.Allocate(noise.Length);
        cpu.Upload(c.All, clean);
        cpu.Upload(n.All, noise);
        cpu.AddClampedNoise(c.All, 0.5f, n.All, 0f, 1f);
        var got = new float[noise.Length];
        cpu.Download(n.All, got);
        for (int i = 0; i < got.Length; i++)
            Assert.Equal(Math.Clamp(clean[i] + 0.5f * noise[i], 0f, 1f), got[i]);
        Assert.Equal([0f, 0.4f, 1f, 0f, 1f, 0.3f, 0.25f], got);
        var error = Assert.Throws<ArgumentException>(() => cpu.AddClampedNoise(c.All, 0.5f, n.All, 1f, 0f));
        Assert.Contains("AddClampedNoise", error.Message);
    }

    private static TrainingRecipe Noisy(Preset preset, float noise) => preset.Recipe with { Noise = noise };

    [SkippableFact]
    public void Layers_see_noisy_inputs_and_the_loss_compares_with_the_clean_ones()
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, Noisy(preset, 0.5f) with { BatchSize = 64 }, seed: 5);
        using var trainSet = new DeviceDataset(backend, train.Subset(0, 8192));
        using var testSet = new DeviceDataset(backend, test.Subset(0, 300));

        var noisy = trainer.NoisyInputs(testSet, 300);
        var clean = test.Subset(0, 300).Images;
        Assert.All(noisy, v => Assert.InRange(v, 0f, 1f));
        // unclipped pixels differ from the clean ones by 0.5 * N(0,1): check the spread where no clipping can happen
        double sum = 0, sumSq = 0;
        int count = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            if (noisy[i] is <= 0f or >= 1f) continue;
            double d = (noisy[i] - clean[i]) / 0.5;
            sum += d; sumSq += d * d; count++;
        }
        Assert.True(count > 50_000, $"{count} unclipped pixels");
        // clipping removes the tails, so the spread of the rest is below 1 but far from 0
        Assert.InRange(Math.Sqrt(sumSq / count - Math.Pow(sum / count, 2)), 0.5, 1.0);
        // the evaluation noise is fixed: the same inputs every call, so validation losses are comparable
        Assert.Equal(noisy, trainer.NoisyInputs(testSet, 300));
        // codes are of the clean samples
        using var reference = new Trainer(backend, preset.Model, preset.Recipe, seed: 5);
        Assert.Equal(reference.Encode(testSet, 10), trainer.Encode(testSet, 10));

        var first = trainer.TrainEpoch(trainSet, testSet);
        var second = trainer.TrainEpoch(trainSet, testSet);
        Assert.True(second.ValLoss < first.ValLoss, $"denoising val loss {first.ValLoss} -> {second.ValLoss}");
        // the denoised output is closer to the clean digit than the noisy input is
        var denoised = trainer.Reconstruct(testSet, 300);
        Assert.True(Mse(denoised, clean) < Mse(noisy, clean), $"MSE denoised {Mse(denoised, clean)} vs noisy input {Mse(noisy, clean)}");
    }

    private static double Mse(float[] a, float[] b) => a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Average();

    [SkippableFact]
    public void Same_seed_same_bits_and_each_step_draws_new_noise()
    {
        var (train, test) = mnist.Data;
        float[] Run(int seed)
        {
            using var backend = new CpuBackend();
            var preset = Presets.Get("dense32");
            using var trainer = new Trainer(backend, preset.Model, Noisy(preset, 0.3f), seed);
            using var trainSet = new DeviceDataset(backend, train.Subset(0, 512));
            trainer.TrainEpoch(trainSet);
            var parameters = new float[trainer.Network.Parameters.Length];
            backend.Download(trainer.Network.Parameters.Values.All, parameters);
            return parameters;
        }
        Assert.Equal(Run(9), Run(9));

        // two training steps on the same batch draw different noise: RandomForStep advances with the optimizer step
        using var cpu = new CpuBackend();
        var buffer = cpu.Allocate(784);
        float[] Draw(int step)
        {
            ((IBackend)cpu).RandomForStep(RandomDistribution.Normal, 3, step, buffer.All);
            var values = new float[784];
            cpu.Download(buffer.All, values);
            return values;
        }
        Assert.NotEqual(Draw(1), Draw(2));
    }

    [SkippableFact]
    public void OpenCL_draws_the_same_noisy_inputs_as_the_cpu()
    {
        Skip.IfNot(OpenClBackend.TryCreate(null, out var opencl, out string reason), reason);
        using var _ = opencl;
        var (_, test) = mnist.Data;
        var preset = Presets.Get("dense32");
        float[] Inputs(IBackend backend)
        {
            using var trainer = new Trainer(backend, preset.Model, Noisy(preset, 0.5f), seed: 11);
            using var data = new DeviceDataset(backend, test.Subset(0, 257));
            return trainer.NoisyInputs(data, 257);
        }
        using var cpu = new CpuBackend();
        var expected = Inputs(cpu);
        var got = Inputs(opencl!);
        // Box-Muller goes through log/sqrt/cos: the conformance tolerance of Random (Normal), scaled by the factor
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"[{i}] cpu {expected[i]} opencl {got[i]}");
    }
}

using GpuAe.Backends.OpenCL;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;
using Xunit.Abstractions;

namespace GpuAe.Tests.OpenCL;

/// <summary>The conv preset on PoCL by the direct kernels and by im2col + GEMM (<see cref="OpenClOptions.DirectConvolution"/>):
/// the same training within float rounding, and at most half the launches per training step.</summary>
[Collection("OpenCL")]
public sealed class OpenClDirectConvTests(OpenClFixture fixture, ITestOutputHelper output)
{
    private const int Batch = 16;

    private sealed record Run(int LaunchesPerStep, EpochMetrics Metrics, IReadOnlyDictionary<string, (int Launches, long Nanoseconds)> Profile);

    private Run Train(bool direct)
    {
        Assert.True(OpenClBackend.TryCreate(null, new OpenClOptions { DirectConvolution = direct, ProfileKernels = true }, out var created, out var reason), reason);
        using var backend = created!;
        var preset = Presets.Get("conv");
        var (train, _) = OpenClTrainingParityTests.LoadData(3 * Batch, 1);
        using var oneStep = new DeviceDataset(backend, train.Subset(0, Batch));
        using var twoSteps = new DeviceDataset(backend, train.Subset(Batch, 2 * Batch));
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = Batch }, seed: 3);
        int Launches() => backend.KernelProfile!.Values.Sum(v => v.Launches);
        trainer.TrainEpoch(oneStep);
        int before = Launches();
        trainer.TrainEpoch(oneStep);
        int afterOne = Launches();
        var metrics = trainer.TrainEpoch(twoSteps);
        // an epoch of two steps minus one of one step: what a training step launches, without per-epoch work
        int perStep = (Launches() - afterOne) - (afterOne - before);
        return new Run(perStep, metrics, backend.KernelProfile!.ToDictionary());
    }

    [SkippableFact]
    public void Conv_preset_trains_the_same_with_half_the_launches_per_step()
    {
        fixture.Require();
        var im2col = Train(direct: false);
        var direct = Train(direct: true);
        output.WriteLine($"conv preset on {fixture.Backend!.DeviceName}, batch {Batch}: launches per training step im2col {im2col.LaunchesPerStep}, direct {direct.LaunchesPerStep}");
        foreach (var (name, run) in new[] { ("im2col", im2col), ("direct", direct) })
            foreach (var (kernel, (launches, ns)) in run.Profile.OrderByDescending(p => p.Value.Nanoseconds).Take(8))
                output.WriteLine($"  {name}: {kernel,-28} {launches,4} launches {ns / 1e6,9:F2} ms");
        Assert.True(2 * direct.LaunchesPerStep <= im2col.LaunchesPerStep, $"direct {direct.LaunchesPerStep} vs im2col {im2col.LaunchesPerStep}");
        Assert.Contains("conv_forward", direct.Profile.Keys);
        Assert.DoesNotContain("im2col", direct.Profile.Keys);
        // three epochs of Adam on the same data: float rounding only (summation orders differ)
        double relative = Math.Abs(direct.Metrics.TrainLoss - im2col.Metrics.TrainLoss) / im2col.Metrics.TrainLoss;
        output.WriteLine($"train loss of the third epoch: im2col {im2col.Metrics.TrainLoss:G9}, direct {direct.Metrics.TrainLoss:G9}");
        Assert.True(relative < 1e-4, $"train loss im2col {im2col.Metrics.TrainLoss} vs direct {direct.Metrics.TrainLoss}");
    }
}

using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;
using Xunit.Abstractions;

namespace GpuAe.Tests.OpenCL;

/// <summary>
/// Kernel launches per training step on OpenCL (issue #13: fused loss; dense layers: activation derivative and bias
/// gradient in the gradient GEMMs, batch gather in the first GEMM): counted by
/// <see cref="GpuAe.Backends.GpuBackend.Launches"/> over a profiled epoch of a few steps. The bounds are the counts
/// after fusing; a change that adds launches to the step fails here.
/// </summary>
[Collection("OpenCL")]
public sealed class OpenClLaunchCountTests(OpenClFixture fixture, ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("dense32", 7)]    // 15 before fusing, 10 after the loss and activation+bias fusions (benchmarks/results/opencl-launches.md)
    [InlineData("conv", 35)]      // 82 before: direct convolution (3 launches per conv layer) and the fused loss
    public void Training_step_launches_stay_within_the_fused_count(string presetName, int maxPerStep)
    {
        var backend = fixture.Require();
        var launches = StepLaunches(backend, presetName);
        double total = launches.Sum(l => l.PerStep);
        foreach (var (entry, perStep) in launches) output.WriteLine($"{entry,-36} {perStep:0.##}");
        output.WriteLine($"{presetName}: {total:0.##} launches per training step");
        Assert.True(total <= maxPerStep, $"{presetName}: {total} launches per step, expected at most {maxPerStep}");
    }

    [SkippableFact]
    public void Counter_counts_each_launch_by_entry_and_resets()
    {
        var backend = fixture.Require();
        using var x = backend.Allocate(10);
        backend.Launches.Reset();
        backend.Fill(x.All, 1f);
        backend.Fill(x.All, 2f);
        backend.Scale(x.All, 3f);
        backend.Fill(x.Slice(0, 0), 1f);   // empty: nothing launched
        Assert.Equal(3, backend.Launches.Total);
        Assert.Equal([("fill", 2L), ("scale", 1L)], backend.Launches.ByEntry());
        backend.Launches.Reset();
        Assert.Equal(0, backend.Launches.Total);
        Assert.Empty(backend.Launches.ByEntry());
    }

    /// <summary>Launches per step of a profiled epoch of 3 steps (after a first epoch that builds the programs).</summary>
    internal static IReadOnlyList<(string Entry, double PerStep)> StepLaunches(GpuAe.Backends.IBackend backend, string presetName)
    {
        var preset = Presets.All.Single(p => p.Name == presetName);
        var (train, _) = OpenClTrainingParityTests.LoadData(3 * preset.Recipe.BatchSize, 1);
        using var data = new DeviceDataset(backend, train);
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 7) { StepProfile = [] };
        trainer.TrainEpoch(data);
        return trainer.StepLaunches!;
    }
}

using GpuAe.Backends.Cuda;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;
using Xunit.Abstractions;

namespace GpuAe.Tests.Cuda;

/// <summary>Launches per training step of the conv preset (the captured step on the fake driver; OpenCL launches the
/// same plan, less the CUDA-only step_advance): the direct convolution path at most half of the im2col path's.</summary>
public sealed class CudaConvLaunchCountTests(ITestOutputHelper output)
{
    private static List<string> StepLaunches(bool direct)
    {
        var d = new FakeCudaDriver();
        using var backend = new CudaBackend(d, new CudaOptions { DirectConvolution = direct });
        var preset = Presets.Get("conv");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe with { BatchSize = 4 }, seed: 1);
        using var data = new DeviceDataset(backend, new Dataset("synthetic", new float[4 * 784], 4, 1, 28, 28));
        d.Calls.Clear();
        trainer.TrainEpoch(data);
        int begin = d.Calls.FindIndex(c => c.StartsWith("begin capture", StringComparison.Ordinal));
        int end = d.Calls.FindIndex(c => c.StartsWith("end capture", StringComparison.Ordinal));
        Assert.True(begin >= 0 && end > begin, "one step is captured");
        return d.Calls.Skip(begin).Take(end - begin).Where(c => c.StartsWith("launch ", StringComparison.Ordinal))
            .Select(c => c.Split(' ')[1]).ToList();
    }

    [Fact]
    public void The_conv_preset_step_launches_at_most_half_as_many_kernels_with_direct_convolution()
    {
        var im2col = StepLaunches(direct: false);
        var direct = StepLaunches(direct: true);
        output.WriteLine($"conv preset, launches per training step: im2col path {im2col.Count}, direct path {direct.Count}");
        // 7 Conv2D layers: one forward each, dW + db each, dx for all but the first
        Assert.Equal(7, direct.Count(e => e == "conv_forward"));
        Assert.Equal(7, direct.Count(e => e == "conv_backward_filter"));
        Assert.Equal(6, direct.Count(e => e == "conv_backward_data"));
        Assert.DoesNotContain(direct, e => e is "im2col" or "col2im" or "swap_leading_axes" or "swap_leading_axes_3d" || e.StartsWith("gemm", StringComparison.Ordinal));
        Assert.Equal(7, im2col.Count(e => e == "im2col"));
        Assert.DoesNotContain(im2col, e => e.StartsWith("conv_", StringComparison.Ordinal));
        Assert.True(2 * direct.Count <= im2col.Count, $"{direct.Count} launches is more than half of {im2col.Count}");
    }
}

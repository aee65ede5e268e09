using GpuAe.Tests.OpenCL;

namespace GpuAe.Tests.Cli;

/// <summary>`gpuae train --profile` on a GPU backend prints the kernel launches per training step, by kernel. In the
/// OpenCL collection: it opens its own OpenCL context, never beside the shared one's tests.</summary>
[Collection("OpenCL")]
public sealed class ProfileLaunchesCommandTests(OpenClFixture fixture)
{
    [SkippableFact]
    public void Profiled_training_on_opencl_prints_launches_per_step()
    {
        fixture.Require();
        using var dir = new TempDirectory();
        var random = new System.Random(3);
        var lines = new List<string> { "a,b,c,d,e,f" };
        for (int i = 0; i < 160; i++)
            lines.Add(string.Join(',', Enumerable.Range(0, 6).Select(_ => random.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        string csv = dir.File("table.csv");
        File.WriteAllLines(csv, lines);
        var (code, output, error) = CliRunner.Run("train", "--data", csv, "--backend", "opencl", "--epochs", "1", "--batch", "32", "--profile",
            "--out", Path.Combine(dir.Path, "run"));
        Assert.True(code == 0, error);
        Assert.Matches(@"launches per training step: \d+", output);
        Assert.Contains("loss_lanes", output);                 // the fused loss: one launch per step
        // dense layers: dz = dy·f'(y) on the gradient GEMMs' loads, db from the dW GEMM, the batch gathered by the first GEMM
        Assert.DoesNotContain("activation_backward_bias", output);
        Assert.DoesNotContain("column_sums", output);
        Assert.DoesNotContain("gather_rows", output);
        Assert.Contains("gemm_", output);
        Assert.DoesNotContain("sum_final", output);
    }
}

using GpuAe.Backends.OpenCL;
using GpuAe.Backends.OpenCL.Benchmarks;
using Xunit.Abstractions;

namespace GpuAe.Tests.OpenCL;

/// <summary>
/// The GEMM benchmark vs CLBlast, opt-in (it takes minutes):
/// <c>GPUAE_BENCH=1 dotnet test tests/GpuAe.Tests --filter OpenClGemmBenchmark</c>.
/// Writes benchmarks/results/opencl-gemm.md.
/// </summary>
[Collection("OpenCL")]
public sealed class OpenClGemmBenchmarkTests(OpenClFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public void OpenClGemmBenchmark_vs_clblast()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("GPUAE_BENCH") == "1", "benchmark is opt-in: set GPUAE_BENCH=1");
        var backend = fixture.Require();
        var rows = OpenClGemmBenchmark.Run(backend, log: output.WriteLine);
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var markdown = OpenClGemmBenchmark.ToMarkdown(backend, rows,
            "GPUAE_BENCH=1 dotnet test tests/GpuAe.Tests -c Release --filter OpenClGemmBenchmark",
            $"1-minute load average at the end of the run: {load} (machine shared with other jobs; absolute numbers are depressed, the ratio is what matters since both run interleaved)");
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "GpuAe.sln"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        var path = Path.Combine(root, "benchmarks", "results", "opencl-gemm.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, markdown);
        output.WriteLine(markdown);
        Assert.All(rows, r => Assert.True(r.MaxDifference < 1e-2, $"{r.Shape.Name}: ours and CLBlast differ by {r.MaxDifference}"));
    }
}

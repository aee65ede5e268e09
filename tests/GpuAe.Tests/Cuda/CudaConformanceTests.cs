using GpuAe.Backends.Cpu;
using GpuAe.Backends.Cuda;
using GpuAe.Conformance;
using Xunit.Abstractions;

namespace GpuAe.Tests.Cuda;

/// <summary>The shared conformance suite, CUDA vs the CPU reference, one test per kernel, FP32 and TF32
/// GEMM. Skipped where CUDA cannot run (CI); on a GPU machine with an SDK this is the selftest.</summary>
public sealed class CudaConformanceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Kernels => new(ConformanceSuite.KernelNames);

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Kernel_matches_cpu_reference(string kernel)
    {
        Skip.IfNot(CudaBackend.TryCreate(0, null, out var cuda, out var reason), $"no CUDA here: {reason}");
        using var subject = cuda!;
        using var reference = new CpuBackend();
        var report = ConformanceSuite.Run(reference, subject, output.WriteLine, only: [kernel]);
        var result = Assert.Single(report.Kernels);
        Assert.True(result.Passed, result.ToString());
        Assert.True(result.Cases > 0);
    }
}

using GpuAe.Backends.OpenCL;
using GpuAe.Conformance;
using Xunit.Abstractions;

namespace GpuAe.Tests.OpenCL;

/// <summary>The shared conformance suite, OpenCL vs the CPU reference, one test per kernel.</summary>
[Collection("OpenCL")]
public sealed class OpenClConformanceTests(OpenClFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string> Kernels => new(ConformanceSuite.KernelNames);

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Kernel_matches_cpu_reference(string kernel)
    {
        var backend = fixture.Require();
        var report = ConformanceSuite.Run(fixture.Reference, backend, output.WriteLine, only: [kernel]);
        var result = Assert.Single(report.Kernels);
        Assert.True(result.Passed, result.ToString());
        Assert.True(result.Cases > 0);
    }

    /// <summary>The GPU reductions (a tree of 64 in local memory; the penalties' per-unit trees; conv_backward_filter's
    /// work-group per weight) run on PoCL too.</summary>
    [SkippableTheory]
    [InlineData(64)]
    [InlineData(8)]
    public void Tree_reductions_match_cpu_reference(int workGroupSize)
    {
        fixture.Require();
        Assert.True(OpenClBackend.TryCreate(null, new OpenClOptions { ReduceWorkGroupSize = workGroupSize }, out var tree, out var reason), reason);
        using (tree)
        {
            var report = ConformanceSuite.Run(fixture.Reference, tree!, output.WriteLine, only: ["Sum", "Loss", "RowSums", "BiasGradient", "ActivityPenalty", "ContractivePenalty", "ConvBackwardFilter"]);
            Assert.All(report.Kernels, k => Assert.True(k.Passed, k.ToString()));
            Assert.Equal(7, report.Kernels.Count);
        }
    }

    /// <summary>The GPU GEMM (local-memory tiles) runs on PoCL too: verify it, with its fused operand forms, with three tile tables.</summary>
    [SkippableTheory]
    [InlineData(32, 32, 8, 4, 4)]
    [InlineData(64, 64, 16, 4, 4)]
    [InlineData(32, 64, 16, 2, 8)]
    public void Tiled_gemm_variant_matches_cpu_reference(int tsm, int tsn, int tsk, int wptm, int wptn)
    {
        fixture.Require();
        var options = new OpenClOptions { Gemm = new GemmConfig(GemmVariant.Tiled, Tsm: tsm, Tsn: tsn, Tsk: tsk, Wptm: wptm, Wptn: wptn) };
        Assert.True(OpenClBackend.TryCreate(null, options, out var tiled, out var reason), reason);
        using (tiled)
        {
            var report = ConformanceSuite.Run(fixture.Reference, tiled!, output.WriteLine, only: ["Gemm", "GemmActivationGradient", "GemmGatherRows"]);
            Assert.Equal(3, report.Kernels.Count);
            Assert.All(report.Kernels, k => Assert.True(k.Passed, k.ToString()));
        }
    }
}

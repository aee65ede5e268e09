using GpuAe.Backends;
using GpuAe.Backends.Cuda;
using GpuAe.Graph;

namespace GpuAe.Tests.Cuda;

/// <summary>Out of device memory on the fake driver: the error names what was asked (the plan's arena) and what
/// the device has free (cuMemGetInfo), not only the driver's error code.</summary>
public sealed class CudaOutOfMemoryTests
{
    [Fact]
    public void An_allocation_the_device_has_no_room_for_says_requested_and_free_bytes()
    {
        var driver = new FakeCudaDriver { MemoryBytes = 1L << 30 };
        using var backend = new CudaBackend(driver);
        using var held = backend.Allocate(100L << 20);   // 400 MiB in use
        var e = Assert.Throws<InsufficientMemoryException>(() => backend.Allocate(200L << 20));   // 800 MiB more
        Assert.StartsWith("cuda: out of device memory: 800 MiB requested on Fake GPU", e.Message);
        Assert.Contains("free of 1 GiB (cuMemGetInfo)", e.Message);
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY", e.InnerException!.Message);
        long free = driver.MemoryInfo().Free;
        Assert.Contains($"{free / (double)(1 << 20):0.##} MiB free", e.Message);
        using var fits = backend.Allocate(free / 4 - 4096);   // what is free can still be had
    }

    [Fact]
    public void A_plan_whose_arena_does_not_fit_names_the_planned_bytes_and_the_free_memory()
    {
        var driver = new FakeCudaDriver { MemoryBytes = 2L << 30 };
        using var backend = new CudaBackend(driver);
        var e = Assert.Throws<InsufficientMemoryException>(() => new ExecutionPlan(OneTensorGraph(backend, gib: 4)));
        Assert.StartsWith("cuda: out of device memory for the plan's arena (4 GiB planned): 4 GiB requested on Fake GPU", e.Message);
        Assert.Contains("GiB free of 2 GiB (cuMemGetInfo)", e.Message);
        Assert.Equal(3, driver.LiveAllocations);   // only the backend's own blocks: nothing leaked by the failed plan
    }

    /// <summary>A graph whose arena is one tensor of <paramref name="gib"/> GiB (float32, at most 7), for out-of-memory tests on any backend.</summary>
    internal static GraphBuilder OneTensorGraph(IBackend backend, int gib)
    {
        var g = new GraphBuilder(backend);
        var big = g.Planned("big", new Shape(gib * 256, 1024, 1024));
        g.Add("fill", [], [big], r => { var v = r[big]; return () => backend.Fill(v, 0f); });
        big.IsOutput = true;
        return g;
    }
}

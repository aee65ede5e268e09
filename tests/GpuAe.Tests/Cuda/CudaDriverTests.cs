using GpuAe.Backends;
using GpuAe.Backends.Cuda;

namespace GpuAe.Tests.Cuda;

/// <summary>The real driver path where CUDA cannot run (CI): a clean reason, never an exception.</summary>
public sealed class CudaDriverTests
{
    [Fact]
    public void Without_a_driver_library_the_backend_says_so()
    {
        Assert.False(CudaBackend.TryCreate(0, null, "libcuda-not-installed.so.1", out var backend, out var reason));
        Assert.Null(backend);
        Assert.Equal("no CUDA driver (libcuda-not-installed.so.1) found", reason);
    }

    [Fact]
    public void Where_cuda_cannot_run_try_create_gives_a_reason_and_create_a_backend_unavailable_error()
    {
        if (CudaBackend.TryCreate(0, null, out var backend, out var reason))
        {
            backend!.Dispose();
            return;   // a GPU machine: covered by the test below
        }
        Assert.Null(backend);
        // no libcuda.so.1: "no CUDA driver (libcuda.so.1) found"; the driver package without a GPU (Debian's
        // nvidia-cuda-toolkit pulls libcuda1): "cuInit failed: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected"
        Assert.Matches(@"^(no CUDA driver \(.+\) found|cuInit failed: CUDA_ERROR_\w+ \(\d+\).*|the CUDA driver reports no device)$", reason);
        var e = Assert.Throws<BackendUnavailableException>(() => CudaBackend.Create());
        Assert.Equal("cuda: " + reason, e.Message);
    }

    [SkippableFact]
    public void With_a_gpu_the_device_opens_and_every_module_loads()
    {
        Skip.IfNot(CudaBackend.TryCreate(0, null, out var backend, out var reason), $"no CUDA here: {reason}");
        using var b = backend!;
        b.WarmUp();   // JIT-loads every PTX module: a PTX error shows the JIT log
        Assert.Contains("sm_", b.DeviceName);
    }
}

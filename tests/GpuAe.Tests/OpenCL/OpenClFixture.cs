using GpuAe.Backends.Cpu;
using GpuAe.Backends.OpenCL;

namespace GpuAe.Tests.OpenCL;

/// <summary>One OpenCL backend (first device, program cache on) and one CPU reference, shared by the
/// OpenCL tests. <see cref="Available"/> is false, with <see cref="Reason"/>, where no ICD is installed:
/// tests then skip.</summary>
public sealed class OpenClFixture : IDisposable
{
    public OpenClFixture()
    {
        Available = OpenClBackend.TryCreate(Environment.GetEnvironmentVariable("GPUAE_OPENCL_DEVICE"), out var backend, out var reason);
        Backend = backend;
        Reason = reason;
    }

    public bool Available { get; }
    public string Reason { get; }
    public OpenClBackend? Backend { get; }
    public CpuBackend Reference { get; } = new();

    public OpenClBackend Require()
    {
        Skip.IfNot(Available, "OpenCL not available: " + Reason);
        return Backend!;
    }

    public void Dispose()
    {
        Backend?.Dispose();
        Reference.Dispose();
    }
}

[CollectionDefinition("OpenCL")]
public sealed class OpenClCollection : ICollectionFixture<OpenClFixture>;

using GpuAe.Backends.OpenCL.Native;

namespace GpuAe.Backends.OpenCL;

/// <summary>A cl_mem of 4-byte elements (float32 or int32). Views address it by element offset.</summary>
internal sealed class OpenClBuffer : DeviceBuffer
{
    internal OpenClBuffer(OpenClBackend owner, nint handle, long length, ElementType type) : base(length, type)
    {
        Owner = owner;
        Handle = handle;
    }

    internal OpenClBackend Owner { get; }
    internal nint Handle { get; private set; }

    protected override void Release()
    {
        if (Handle != 0) Cl.clReleaseMemObject(Handle);
        Handle = 0;
    }
}

namespace GpuAe.Backends;

/// <summary>Device memory of a <see cref="GpuBackend"/>: 4-byte elements (float32 or int32) behind one native
/// handle (a <c>cl_mem</c> or a <c>CUdeviceptr</c>); views address it by element offset.</summary>
public sealed class GpuBuffer : DeviceBuffer
{
    internal GpuBuffer(GpuBackend owner, nint handle, long length, ElementType type) : base(length, type)
    {
        Owner = owner;
        Handle = handle;
    }

    /// <summary>The backend that allocated it (views of other backends' buffers are refused).</summary>
    public GpuBackend Owner { get; }

    /// <summary>The native handle: a <c>cl_mem</c> (OpenCL) or a device pointer (CUDA); 0 once disposed.</summary>
    public nint Handle { get; private set; }

    protected override void Release()
    {
        if (Handle != 0) Owner.FreeBuffer(Handle);
        Handle = 0;
    }
}

namespace GpuAe.Backends;

/// <summary>Device memory of a <see cref="GpuBackend"/>: 4-byte elements (float32 or int32) behind one native
/// handle (a <c>cl_mem</c> or a <c>CUdeviceptr</c>); views address it by element offset. A borrowed buffer
/// (<see cref="GpuBackend.Borrow"/>) is memory the backend's user owns: disposing it lets go of the view, never
/// of the memory.</summary>
public sealed class GpuBuffer : DeviceBuffer
{
    private readonly bool _owned;

    internal GpuBuffer(GpuBackend owner, nint handle, long length, ElementType type, bool owned = true) : base(length, type)
    {
        Owner = owner;
        Handle = handle;
        _owned = owned;
    }

    /// <summary>The backend that allocated it (views of other backends' buffers are refused).</summary>
    public GpuBackend Owner { get; }

    /// <summary>The native handle: a <c>cl_mem</c> (OpenCL) or a device pointer (CUDA); 0 once disposed.</summary>
    public nint Handle { get; private set; }

    protected override void Release()
    {
        if (Handle != 0 && _owned) Owner.FreeBuffer(Handle);
        Handle = 0;
    }
}

namespace GpuAe.Backends.Cuda;

/// <summary>Device memory of 4-byte elements (float32 or int32); views address it by element offset.</summary>
internal sealed class CudaBuffer : DeviceBuffer
{
    internal CudaBuffer(CudaBackend owner, ulong pointer, long length, ElementType type) : base(length, type)
    {
        Owner = owner;
        Pointer = pointer;
    }

    internal CudaBackend Owner { get; }
    internal ulong Pointer { get; private set; }

    protected override void Release()
    {
        if (Pointer != 0) Owner.FreeDevice(Pointer);
        Pointer = 0;
    }
}

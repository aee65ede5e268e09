namespace GpuAe.Backends;

/// <summary>A block of device memory owned by one backend. Elements are 4 bytes on GPUs
/// (float32 / int32); the CPU reference may hold float64 reals.</summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(long length, ElementType elementType)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        ElementType = elementType;
    }

    public long Length { get; }
    public ElementType ElementType { get; }
    public bool IsDisposed { get; private set; }

    /// <summary>The whole buffer as a view.</summary>
    public BufferView All => new(this, 0, Length);

    public BufferView Slice(long offset, long length) => All.Slice(offset, length);

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}

/// <summary>A contiguous range of a <see cref="DeviceBuffer"/>, in elements.</summary>
public readonly record struct BufferView(DeviceBuffer Buffer, long Offset, long Length)
{
    public bool IsEmpty => Length == 0;

    public BufferView Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"slice [{offset}, {offset + length}) is outside a view of {Length} elements");
        return new BufferView(Buffer, Offset + offset, length);
    }

    public override string ToString() => $"[{Offset}..{Offset + Length}) of {Buffer.Length}";
}

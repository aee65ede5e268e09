namespace GpuAe.Backends.Cuda;

/// <summary>
/// Packs kernel arguments for cuLaunchKernel on the caller's stack: values at naturally aligned offsets in
/// a byte block, one pointer per parameter to its value, and the <see cref="KernelSignature"/> of what was
/// packed. A <c>ref struct</c> over <c>stackalloc</c>ed memory: nothing is boxed or allocated per launch.
/// </summary>
public unsafe ref struct KernelArgs
{
    /// <summary>Bytes a caller stackallocs for one launch: room for <see cref="KernelSignature.MaxParameters"/>
    /// pointers and as many 8-byte values.</summary>
    public const int BufferBytes = KernelSignature.MaxParameters * 8 * 2 + 16;

    private readonly byte* _values;
    private readonly void** _pointers;
    private int _offset;
    private KernelSignature _signature;

    public KernelArgs(byte* buffer)
    {
        // pointers first (8-aligned by construction), values after them
        ulong aligned = ((ulong)buffer + 7) & ~7UL;
        _pointers = (void**)aligned;
        _values = (byte*)aligned + KernelSignature.MaxParameters * sizeof(void*);
        _offset = 0;
        _signature = default;
    }

    public readonly KernelSignature Signature => _signature;
    public readonly void** Pointers => _pointers;
    public readonly int ValueBytes => _offset;

    /// <summary>Byte offset of parameter <paramref name="index"/>'s value in the value block (tests).</summary>
    public readonly int OffsetOf(int index) => (int)((byte*)_pointers[index] - _values);

    private void Put<T>(T value, ParamKind kind) where T : unmanaged
    {
        int size = sizeof(T);
        _offset = (_offset + size - 1) & ~(size - 1);
        *(T*)(_values + _offset) = value;
        _pointers[_signature.Count] = _values + _offset;
        _offset += size;
        _signature = _signature.Append(kind);
    }

    public KernelArgs Int(int value) { Put(value, ParamKind.Int32); return this; }
    public KernelArgs Float(float value) { Put(value, ParamKind.Float32); return this; }
    public KernelArgs U64(ulong value) { Put(value, ParamKind.UInt64); return this; }
    /// <summary>A device pointer (CUdeviceptr, 8 bytes).</summary>
    public KernelArgs Ptr(ulong devicePointer) { Put(devicePointer, ParamKind.UInt64); return this; }
}

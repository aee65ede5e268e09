using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace GpuAe.Backends;

/// <summary>Kind of one kernel parameter: 32-bit integer, 32-bit float, or a 64-bit value (a device pointer or
/// memory handle, a 64-bit integer). PTX declares them as .u32/.s32, .f32, .u64.</summary>
public enum ParamKind : byte { None = 0, Int32 = 1, Float32 = 2, UInt64 = 3 }

/// <summary>A kernel signature as a packed code: 2 bits per parameter (<see cref="ParamKind"/>), up to 31
/// parameters, plus the count. Built by <see cref="KernelArgs"/> while packing (and by the CUDA backend from
/// PTX at module load), so a launch whose arguments do not match the kernel can be refused before it reaches a driver.</summary>
public readonly record struct KernelSignature(ulong Code, int Count)
{
    public const int MaxParameters = 31;

    public KernelSignature Append(ParamKind kind)
    {
        if (Count >= MaxParameters) throw new InvalidOperationException($"kernels take at most {MaxParameters} parameters");
        return new KernelSignature(Code | ((ulong)kind << (2 * Count)), Count + 1);
    }

    public ParamKind this[int index] => (ParamKind)((Code >> (2 * index)) & 3);

    public override string ToString()
    {
        var b = new StringBuilder("(");
        for (int i = 0; i < Count; i++)
            b.Append(i > 0 ? ", " : "").Append(this[i] switch { ParamKind.Int32 => "i32", ParamKind.Float32 => "f32", _ => "u64" });
        return b.Append(')').ToString();
    }
}

/// <summary>
/// Packs one launch's kernel arguments on the caller's stack: values at naturally aligned offsets in a byte
/// block, one pointer per parameter to its value, and the <see cref="KernelSignature"/> of what was packed.
/// That is cuLaunchKernel's kernelParams as it stands, and clSetKernelArg's (index, size, value) for each
/// parameter. A <c>ref struct</c> over <c>stackalloc</c>ed memory: nothing is boxed or allocated per launch.
/// </summary>
public unsafe ref struct KernelArgs
{
    /// <summary>Bytes a caller stackallocs for one launch: room for <see cref="KernelSignature.MaxParameters"/>
    /// pointers and as many 8-byte values, plus alignment slack.</summary>
    public const int BufferBytes = KernelSignature.MaxParameters * 8 * 2 + 16;

    private readonly byte* _values;
    private readonly void** _pointers;
    private int _offset;
    private KernelSignature _signature;

    /// <summary>Packs into <paramref name="buffer"/>, at least <see cref="BufferBytes"/> of stack memory.</summary>
    public KernelArgs(byte* buffer)
    {
        // pointers first (8-aligned by construction), values after them
        ulong aligned = ((ulong)buffer + 7) & ~7UL;
        _pointers = (void**)aligned;
        _values = (byte*)aligned + KernelSignature.MaxParameters * sizeof(void*);
        _offset = 0;
        _signature = default;
    }

    /// <summary>Packs into a <c>stackalloc byte[KernelArgs.BufferBytes]</c> span (stack memory does not move).</summary>
    public KernelArgs(Span<byte> buffer) : this((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer)))
    {
        if (buffer.Length < BufferBytes) throw new ArgumentException($"kernel arguments need {BufferBytes} bytes of buffer, got {buffer.Length}");
    }

    public readonly KernelSignature Signature => _signature;
    public readonly int Count => _signature.Count;
    public readonly void** Pointers => _pointers;
    public readonly int ValueBytes => _offset;

    /// <summary>Size in bytes of parameter <paramref name="index"/>'s value.</summary>
    public readonly int SizeOf(int index) => _signature[index] == ParamKind.UInt64 ? 8 : 4;

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
    /// <summary>A device pointer (CUdeviceptr) or memory handle (cl_mem), 8 bytes.</summary>
    public KernelArgs Ptr(ulong devicePointer) { Put(devicePointer, ParamKind.UInt64); return this; }
    /// <inheritdoc cref="Ptr(ulong)"/>
    public KernelArgs Ptr(nint handle) { Put((ulong)handle, ParamKind.UInt64); return this; }
    /// <summary>A view as the portable kernels take it: the buffer's handle, then the element offset.</summary>
    public KernelArgs View(scoped in KernelView view) => Ptr(view.Handle).Int(view.Offset);
    /// <summary>A 0/1 flag (the kernels' "is this optional output given").</summary>
    public KernelArgs Flag(bool value) => Int(value ? 1 : 0);
}

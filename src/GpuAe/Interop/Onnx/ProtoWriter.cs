using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace GpuAe.Interop.Onnx;

/// <summary>
/// The protocol-buffers wire format, write side only, for the handful of field kinds ONNX models use: varints
/// (int32/int64/enum), 32-bit floats, and length-delimited fields (strings, bytes, packed repeated numbers,
/// nested messages). Nested messages are written into their own buffer first so their length is known.
/// Hand-written rather than generated so the core library stays free of reflection and of a protobuf runtime.
/// </summary>
internal sealed class ProtoWriter
{
    private const int VarintWire = 0, LengthDelimitedWire = 2, Fixed32Wire = 5;
    private readonly MemoryStream _bytes = new();

    /// <summary>An int32, int64 or enum field (negative values take ten bytes, as protobuf encodes them).</summary>
    public void Int(int field, long value)
    {
        Tag(field, VarintWire);
        Varint((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, Fixed32Wire);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _bytes.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimitedWire);
        Varint((ulong)value.Length);
        _bytes.Write(value);
    }

    /// <summary>A repeated int64 field, one tag per value: ONNX declares its repeated ints (dims, ints) in proto2
    /// without [packed = true], and this is the encoding every parser of that declaration reads.</summary>
    public void Ints(int field, IEnumerable<long> values)
    {
        foreach (long v in values) Int(field, v);
    }

    /// <summary>A float tensor's data as little-endian bytes (ONNX's raw_data).</summary>
    public void RawFloats(int field, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            Bytes(field, MemoryMarshal.AsBytes(values));
            return;
        }
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        Bytes(field, bytes);
    }

    /// <summary>A nested message that <paramref name="write"/> fills.</summary>
    public void Message(int field, Action<ProtoWriter> write)
    {
        var nested = new ProtoWriter();
        write(nested);
        Bytes(field, nested.ToSpan());
    }

    public byte[] ToArray() => _bytes.ToArray();

    private ReadOnlySpan<byte> ToSpan() => _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length);

    private void Tag(int field, int wireType) => Varint((ulong)(field << 3 | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}

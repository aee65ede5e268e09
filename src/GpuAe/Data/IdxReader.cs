using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuAe.Data;

/// <summary>Element types of the IDX format that GpuAe reads.</summary>
public enum IdxElementType : byte
{
    /// <summary>Type code 0x08: unsigned byte (MNIST images and labels).</summary>
    UInt8 = 0x08,
    /// <summary>Type code 0x0D: big-endian IEEE float32.</summary>
    Float32 = 0x0D,
}

/// <summary>An IDX array as read from disk: its shape, element type and payload.</summary>
public sealed class IdxArray
{
    private readonly byte[] _buffer;
    private readonly int _dataOffset;

    internal IdxArray(string path, int[] shape, IdxElementType elementType, byte[] buffer, int dataOffset)
    {
        Path = path;
        Shape = shape;
        ElementType = elementType;
        _buffer = buffer;
        _dataOffset = dataOffset;
    }

    /// <summary>The file this array came from (used in error messages).</summary>
    public string Path { get; }

    /// <summary>Dimensions, outermost first (e.g. [60000, 28, 28]).</summary>
    public int[] Shape { get; }

    /// <summary>The element type declared in the header.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public int Length => (_buffer.Length - _dataOffset) / IdxReader.ElementSize(ElementType);

    /// <summary>The raw elements of a <see cref="IdxElementType.UInt8"/> array.</summary>
    /// <exception cref="InvalidDataException">The array holds another element type.</exception>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            if (ElementType != IdxElementType.UInt8)
                throw DataFormat.Error(Path, $"expected unsigned byte elements (type 0x08), found {IdxReader.Describe(ElementType)}");
            return _buffer.AsSpan(_dataOffset);
        }
    }

    /// <summary>
    /// The elements as float32 intensities: unsigned bytes are divided by 255 (so [0,255] maps to
    /// [0,1]); float32 elements are returned as stored.
    /// </summary>
    public float[] ToUnitFloats()
    {
        var result = new float[Length];
        ReadOnlySpan<byte> data = _buffer.AsSpan(_dataOffset);
        if (ElementType == IdxElementType.UInt8)
        {
            for (int i = 0; i < result.Length; i++)
                result[i] = data[i] / 255f; // a true division, correctly rounded, as torchvision's ToTensor does
        }
        else
        {
            for (int i = 0; i < result.Length; i++)
                result[i] = BinaryPrimitives.ReadSingleBigEndian(data.Slice(4 * i, 4));
        }
        return result;
    }
}

/// <summary>
/// Reads IDX files (the format MNIST ships in: http://yann.lecun.com/exdb/mnist/), plain or gzip
/// compressed. The whole file is checked: every malformation is a <see cref="InvalidDataException"/>.
/// </summary>
public static class IdxReader
{
    private const int MaxRank = 4;

    /// <summary>Reads the IDX file at <paramref name="path"/>; gzip content (e.g. a .gz file) is decompressed transparently.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IdxArray Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses the content of an IDX file, plain or gzip; <paramref name="path"/> names it in errors.
    /// The fuzz targets and property tests feed bytes here without a file.</summary>
    /// <exception cref="InvalidDataException">The content is not a well-formed IDX file (the only exception malformed content may cause).</exception>
    internal static IdxArray Parse(byte[] content, string path)
    {
        byte[] bytes = Decompress(content, path);
        var header = bytes.AsSpan();
        if (header.Length < 4)
            throw DataFormat.Error(path, $"truncated: expected a 4-byte IDX magic number, file has {header.Length} bytes");
        if (header[0] != 0 || header[1] != 0)
            throw DataFormat.Error(path, $"bad magic: expected bytes 00 00 <type> <rank>, found {Convert.ToHexString(header[..4])}");

        byte typeCode = header[2];
        if (typeCode != (byte)IdxElementType.UInt8 && typeCode != (byte)IdxElementType.Float32)
            throw DataFormat.Error(path, $"unsupported element type 0x{typeCode:X2}: expected 0x08 (unsigned byte) or 0x0D (float32)");
        var type = (IdxElementType)typeCode;

        int rank = header[3];
        if (rank is < 1 or > MaxRank)
            throw DataFormat.Error(path, $"bad rank: expected 1..{MaxRank} dimensions, header declares {rank}");
        int dataOffset = 4 + 4 * rank;
        if (header.Length < dataOffset)
            throw DataFormat.Error(path, $"truncated: header declares {rank} dimensions ({4 * rank} bytes), file has {header.Length - 4} after the magic number");

        var shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            // Dimensions are unsigned 32-bit big-endian; anything over int.MaxValue is as wrong as zero here.
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4 + 4 * d, 4));
            if (dim == 0 || dim > int.MaxValue)
                throw DataFormat.Error(path, $"bad dimension {d}: expected a size in 1..{int.MaxValue}, found {dim}");
            shape[d] = (int)dim;
            count *= dim;
            if (count > Array.MaxLength)
                throw DataFormat.Error(path, $"too large: dimensions {FormatShape(shape[..(d + 1)])} exceed {Array.MaxLength} elements");
        }

        long expected = count * ElementSize(type);
        long actual = bytes.LongLength - dataOffset;
        if (actual != expected)
        {
            string problem = actual < expected ? "truncated" : "trailing bytes";
            throw DataFormat.Error(path, $"{problem}: header declares {FormatShape(shape)} = {expected} bytes of data, file has {actual} after the header");
        }
        return new IdxArray(path, shape, type, bytes, dataOffset);
    }

    internal static int ElementSize(IdxElementType type) => type == IdxElementType.UInt8 ? 1 : 4;

    internal static string Describe(IdxElementType type) =>
        type == IdxElementType.UInt8 ? "unsigned byte (type 0x08)" : "float32 (type 0x0D)";

    internal static string FormatShape(ReadOnlySpan<int> shape) => string.Join("x", shape.ToArray());

    // IDX starts with 00 00, gzip with 1F 8B, so sniffing the content is unambiguous and also
    // handles a compressed file without the .gz suffix.
    private static byte[] Decompress(byte[] raw, string path)
    {
        if (raw.Length < 2 || raw[0] != 0x1F || raw[1] != 0x8B)
            return raw;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream(capacity: raw.Length * 4);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            // The runtime's message for a checksum or length mismatch blames "an unsupported compression method": say what it means.
            throw DataFormat.Error(path, "corrupt gzip data: the compressed bytes, their CRC-32 or their length do not check out", e);
        }
    }
}

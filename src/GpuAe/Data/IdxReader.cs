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
        byte[] bytes = IsGzip(content) ? Inflate(content, path) : content;
        Header header = ReadHeader(bytes, path);
        long actual = bytes.LongLength - header.DataOffset;
        if (actual != header.DataBytes)
        {
            string problem = actual < header.DataBytes ? "truncated" : "trailing bytes";
            throw DataFormat.Error(path, $"{problem}: header declares {header.Describe()}, file has {actual} after the header");
        }
        return new IdxArray(path, header.Shape, header.Type, bytes, header.DataOffset);
    }

    /// <summary>What an IDX header declares: element type, shape, where the data starts and how many bytes it takes.</summary>
    private sealed record Header(IdxElementType Type, int[] Shape, int DataOffset, long DataBytes)
    {
        public string Describe() => $"{FormatShape(Shape)} = {DataBytes} bytes of data";
    }

    /// <summary>Checks the magic number and dimensions at the start of <paramref name="bytes"/> (which may end right
    /// after them).</summary>
    private static Header ReadHeader(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < 4)
            throw DataFormat.Error(path, $"truncated: expected a 4-byte IDX magic number, file has {bytes.Length} bytes");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw DataFormat.Error(path, $"bad magic: expected bytes 00 00 <type> <rank>, found {Convert.ToHexString(bytes[..4])}");

        byte typeCode = bytes[2];
        if (typeCode != (byte)IdxElementType.UInt8 && typeCode != (byte)IdxElementType.Float32)
            throw DataFormat.Error(path, $"unsupported element type 0x{typeCode:X2}: expected 0x08 (unsigned byte) or 0x0D (float32)");
        var type = (IdxElementType)typeCode;

        int rank = bytes[3];
        if (rank is < 1 or > MaxRank)
            throw DataFormat.Error(path, $"bad rank: expected 1..{MaxRank} dimensions, header declares {rank}");
        int dataOffset = 4 + 4 * rank;
        if (bytes.Length < dataOffset)
            throw DataFormat.Error(path, $"truncated: header declares {rank} dimensions ({4 * rank} bytes), file has {bytes.Length - 4} after the magic number");

        var shape = new int[rank];
        long dataBytes = ElementSize(type);
        for (int d = 0; d < rank; d++)
        {
            // Dimensions are unsigned 32-bit big-endian; anything over int.MaxValue is as wrong as zero here.
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(4 + 4 * d, 4));
            if (dim == 0 || dim > int.MaxValue)
                throw DataFormat.Error(path, $"bad dimension {d}: expected a size in 1..{int.MaxValue}, found {dim}");
            shape[d] = (int)dim;
            dataBytes *= dim; // at most Array.MaxLength times int.MaxValue: cannot wrap
            // The whole file is held in one byte array.
            if (dataBytes > Array.MaxLength - dataOffset)
                throw DataFormat.Error(path, $"too large: dimensions {FormatShape(shape[..(d + 1)])} of {Describe(type)} need more than the {Array.MaxLength} bytes one array can hold");
        }
        return new Header(type, shape, dataOffset, dataBytes);
    }

    internal static int ElementSize(IdxElementType type) => type == IdxElementType.UInt8 ? 1 : 4;

    internal static string Describe(IdxElementType type) =>
        type == IdxElementType.UInt8 ? "unsigned byte (type 0x08)" : "float32 (type 0x0D)";

    internal static string FormatShape(ReadOnlySpan<int> shape) => string.Join("x", shape.ToArray());

    // IDX starts with 00 00, gzip with 1F 8B, so sniffing the content is unambiguous and also
    // handles a compressed file without the .gz suffix.
    private static bool IsGzip(byte[] content) => content.Length >= 2 && content[0] == 0x1F && content[1] == 0x8B;

    /// <summary>
    /// Inflates no more than the IDX header inside declares, plus one byte to see trailing data: a small file that would
    /// inflate to gigabytes (damaged or hostile) costs no more memory than its header admits to.
    /// </summary>
    private static byte[] Inflate(byte[] content, string path)
    {
        using var gzip = new GZipStream(new MemoryStream(content, writable: false), CompressionMode.Decompress);
        var head = new byte[4 + 4 * MaxRank];
        int headLength = ReadGzip(gzip, head, path);
        Header header = ReadHeader(head.AsSpan(0, headLength), path);
        long declared = header.DataOffset + header.DataBytes;

        using var output = new MemoryStream();
        output.Write(head, 0, headLength);
        var chunk = new byte[81920];
        while (output.Length <= declared)
        {
            int read = ReadGzip(gzip, chunk.AsSpan(0, (int)Math.Min(chunk.Length, declared + 1 - output.Length)), path);
            if (read == 0)
                return output.ToArray();
            output.Write(chunk, 0, read);
        }
        throw DataFormat.Error(path, $"trailing bytes: header declares {header.Describe()}, the decompressed file holds more after the header");
    }

    /// <summary>Fills <paramref name="buffer"/> from the gzip stream unless the content ends first; returns the bytes read.</summary>
    private static int ReadGzip(GZipStream gzip, Span<byte> buffer, string path)
    {
        try
        {
            return gzip.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            // The runtime's message for a checksum or length mismatch blames "an unsupported compression method": say what it means.
            throw DataFormat.Error(path, "corrupt gzip data: the compressed bytes, their CRC-32 or their length do not check out", e);
        }
    }
}

using System.Buffers.Binary;
using GpuAe.Data;

namespace GpuAe.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("images-idx3-ubyte")]
    [InlineData("images-idx3-ubyte.gz")]
    public void ReadsUInt8ArrayPlainOrGzipped(string name)
    {
        byte[] payload = Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray();
        string path = IdxFiles.WriteUInt8(_dir.File(name), [2, 3, 4], payload);

        IdxArray array = IdxReader.Read(path);

        Assert.Equal([2, 3, 4], array.Shape);
        Assert.Equal(IdxElementType.UInt8, array.ElementType);
        Assert.Equal(24, array.Length);
        Assert.Equal(payload, array.Bytes.ToArray());
        Assert.Equal(payload.Select(b => b / 255f), array.ToUnitFloats());
    }

    [Fact]
    public void ReadsBigEndianFloat32()
    {
        float[] values = [0.5f, -1.25f, float.MaxValue];
        var payload = new byte[12];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteSingleBigEndian(payload.AsSpan(4 * i), values[i]);
        string path = IdxFiles.Write(_dir.File("f.idx"), IdxFiles.Bytes(0x0D, [3], payload));

        IdxArray array = IdxReader.Read(path);

        Assert.Equal(IdxElementType.Float32, array.ElementType);
        Assert.Equal(values, array.ToUnitFloats());
        var error = Assert.Throws<InvalidDataException>(() => array.Bytes.ToArray());
        Assert.Contains("expected unsigned byte elements (type 0x08), found float32", error.Message);
    }

    [Fact]
    public void TruncatedDataNamesFileDeclaredAndFoundSizes()
    {
        byte[] full = IdxFiles.Bytes(0x08, [2, 3, 4], new byte[24]);
        string path = IdxFiles.Write(_dir.File("train-images-idx3-ubyte"), full[..^14]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Equal($"{path}: truncated: header declares 2x3x4 = 24 bytes of data, file has 10 after the header", error.Message);
    }

    [Fact]
    public void TrailingBytesAreAnError()
    {
        string path = IdxFiles.Write(_dir.File("x"), IdxFiles.Bytes(0x08, [5], new byte[6]));

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Equal($"{path}: trailing bytes: header declares 5 = 5 bytes of data, file has 6 after the header", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 8, 1, 0, 0, 0, 1, 0 }, "bad magic: expected bytes 00 00 <type> <rank>, found 00010801")]
    [InlineData(new byte[] { 0x50, 0x4B, 3, 4 }, "bad magic")]
    [InlineData(new byte[] { 0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 0, 0 }, "unsupported element type 0x0C")]
    [InlineData(new byte[] { 0, 0, 8, 0 }, "bad rank: expected 1..4 dimensions, header declares 0")]
    [InlineData(new byte[] { 0, 0, 8, 5 }, "bad rank: expected 1..4 dimensions, header declares 5")]
    [InlineData(new byte[] { 0, 0, 8, 2, 0, 0, 0, 1 }, "truncated: header declares 2 dimensions (8 bytes), file has 4 after the magic number")]
    [InlineData(new byte[] { 0, 0, 8 }, "truncated: expected a 4-byte IDX magic number, file has 3 bytes")]
    [InlineData(new byte[] { 0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 0 }, "bad dimension 1: expected a size in 1..2147483647, found 0")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF }, "bad dimension 0: expected a size in 1..2147483647, found 4294967295")]
    public void MalformedHeadersAreRejectedWithPathAndReason(byte[] bytes, string expected)
    {
        string path = IdxFiles.Write(_dir.File("bad-idx"), bytes);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.StartsWith($"{path}: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CorruptGzipIsADataError()
    {
        string path = IdxFiles.Write(_dir.File("x.gz"), [0x1F, 0x8B, 8, 0, 1, 2, 3, 4, 5, 6, 7]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.StartsWith($"{path}: ", error.Message);
    }
}

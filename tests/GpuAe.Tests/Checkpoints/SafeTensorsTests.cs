using System.Buffers.Binary;
using System.Text;
using GpuAe.Checkpoints;

namespace GpuAe.Tests.Checkpoints;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly NamedTensor[] Sample =
    [
        new("enc.weight", [2, 3], [1, 2, 3, 4, 5, 6]),
        new("enc.bias", [2], [-0.5f, float.Epsilon]),
        new("step", [], [42]),
        new("empty", [0, 4], []),
    ];

    /// <summary>A file with a hand-written header (padded as the spec asks) and raw data bytes.</summary>
    private string WriteRaw(string headerJson, byte[] data, ulong? declaredHeaderSize = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson.PadRight((headerJson.Length + 7) / 8 * 8));
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderSize ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        string path = _dir.File("raw.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidDataException ReadFails(string path) =>
        Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));

    [Fact]
    public void RoundTripsTensorsAndMetadata()
    {
        string path = _dir.File("ckpt.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["model"] = "784-32-784 \"relu\" é" };

        SafeTensors.Write(path, Sample, metadata);
        SafeTensorFile file = SafeTensors.Read(path);

        Assert.Equal(Sample.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        foreach (NamedTensor expected in Sample)
        {
            Assert.Equal(expected.Shape, file[expected.Name].Shape);
            Assert.Equal(expected.Data, file[expected.Name].Data);
        }
        Assert.Equal(metadata, file.Metadata);
        Assert.Contains("'enc.weight', 'enc.bias', 'step', 'empty'", Assert.Throws<KeyNotFoundException>(() => file["dec.weight"]).Message);
    }

    /// <summary>The bytes follow the spec exactly: size prefix, JSON padded to 8 with spaces, little-endian data in order.</summary>
    [Fact]
    public void WritesTheSpecifiedLayout()
    {
        string path = _dir.File("layout.safetensors");
        SafeTensors.Write(path, [new("b", [2], [1f, -2f]), new("a", [1, 1], [0.5f])], new Dictionary<string, string> { ["k"] = "v" });

        byte[] bytes = File.ReadAllBytes(path);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerSize);

        const string json = """{"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}""";
        Assert.Equal(0UL, headerSize % 8);
        Assert.Equal(json.PadRight((int)headerSize), header);
        Assert.Equal((int)headerSize + 8 + 12, bytes.Length);
        Assert.Equal(
            new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3F },
            bytes[(8 + (int)headerSize)..]);
    }

    [Fact]
    public void NoMetadataAndNoTensorsIsAValidFile()
    {
        string path = _dir.File("empty.safetensors");
        SafeTensors.Write(path, [], null);

        Assert.Equal("{}      "u8.ToArray(), File.ReadAllBytes(path)[8..]);
        SafeTensorFile file = SafeTensors.Read(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void OverwritesAtomicallyAndLeavesNoTempFiles()
    {
        string path = _dir.File("ckpt.safetensors");
        SafeTensors.Write(path, Sample, null);
        SafeTensors.Write(path, [new("x", [1], [7])], null);

        Assert.Equal([path], Directory.GetFiles(_dir.Path));
        Assert.Equal([7f], SafeTensors.Read(path)["x"].Data);
    }

    [Fact]
    public void FailedWriteLeavesTargetAndFolderUntouched()
    {
        // The rename onto a directory fails only after the temp file is fully written: the path
        // a crash would take. The temp file must be gone and the target unchanged.
        string target = Directory.CreateDirectory(_dir.File("taken.safetensors")).FullName;
        File.WriteAllText(Path.Combine(target, "inside"), "keep");

        Assert.ThrowsAny<IOException>(() => SafeTensors.Write(target, Sample, null));

        Assert.Empty(Directory.GetFiles(_dir.Path));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "inside")));
    }

    [Fact]
    public void WriteRejectsInconsistentTensors()
    {
        string path = _dir.File("bad.safetensors");
        Assert.Contains("needs 6 values, data has 5", Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("w", [2, 3], new float[5])], null)).Message);
        Assert.Contains("duplicate", Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("w", [1], [1]), new("w", [1], [2])], null)).Message);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("__metadata__", [1], [1])], null));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void HeaderSizeBeyondTheFileIsRejected()
    {
        string path = WriteRaw("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4], declaredHeaderSize: 1_000_000);

        Assert.Equal($"{path}: bad header size: declares 1000000 bytes of JSON header, file has 60 bytes after the size field (limit 100000000)", ReadFails(path).Message);
    }

    [Fact]
    public void TruncatedDataIsRejected()
    {
        string path = WriteRaw("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", new byte[8]);

        Assert.Equal($"{path}: truncated: the header's tensors span 12 bytes of data, file has 8 after the header", ReadFails(path).Message);
    }

    [Fact]
    public void TrailingDataIsRejected()
    {
        string path = WriteRaw("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[8]);

        Assert.Contains("trailing bytes: the header's tensors span 4 bytes of data, file has 8", ReadFails(path).Message);
    }

    [Fact]
    public void OverlappingOffsetsNameTheTensor()
    {
        string path = WriteRaw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);

        Assert.Equal($"{path}: tensor 'b': data_offsets [4,12] overlap the previous tensor, which ends at 8", ReadFails(path).Message);
    }

    [Fact]
    public void GapBetweenTensorsIsRejected()
    {
        string path = WriteRaw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]);

        Assert.Contains("tensor 'b': data_offsets [8,12] leave a gap after the previous tensor", ReadFails(path).Message);
    }

    [Fact]
    public void OffsetsInAnyHeaderOrderAreAccepted()
    {
        // Other writers (e.g. the Python library) order the JSON keys by name, not by offset.
        byte[] data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), 2f);
        string path = WriteRaw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", data);

        SafeTensorFile file = SafeTensors.Read(path);

        Assert.Equal([2f], file["a"].Data);
        Assert.Equal([1f], file["b"].Data);
    }

    [Fact]
    public void NullMetadataReadsAsEmpty()
    {
        string path = WriteRaw("""{"__metadata__":null,"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);

        Assert.Empty(SafeTensors.Read(path).Metadata);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]""", "header is not valid JSON")]
    [InlineData("""[1,2]""", "header: expected a JSON object, found Array")]
    [InlineData("""{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,4]}}""", "tensor 'w': dtype I64 is not supported: expected F32")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w': missing string field 'dtype'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "tensor 'w': shape [2] of F32 needs 8 bytes, data_offsets [0,4] span 4")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "tensor 'w': 'shape' must hold non-negative integers, found -1")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "tensor 'w': expected data_offsets [begin, end] with begin <= end, found [4,0]")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "header: duplicate key 'w'")]
    [InlineData("""{"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "__metadata__['epoch']: expected a string, found Number")]
    public void MalformedHeadersAreRejected(string header, string expected)
    {
        string path = WriteRaw(header, new byte[4]);

        string message = ReadFails(path).Message;

        Assert.StartsWith($"{path}: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void FileShorterThanTheSizeFieldIsRejected()
    {
        string path = _dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Equal($"{path}: truncated: expected an 8-byte header size, file has 3 bytes", ReadFails(path).Message);
    }
}

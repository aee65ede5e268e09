using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using GpuAe.Data;
using GpuAe.IO;

namespace GpuAe.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors), so
/// checkpoints load in PyTorch with <c>safetensors.torch.load_file</c> and vice versa. Layout:
/// u64 little-endian header size N; N bytes of UTF-8 JSON
/// {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}
/// padded with spaces so 8 + N is a multiple of 8; then the tensor bytes, little-endian, back to back,
/// offsets relative to the end of the header. Only F32 tensors are supported.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const string F32 = "F32";
    // The reference implementation refuses headers over 100 MB; the same bound stops a corrupt size
    // field from making us allocate gigabytes.
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>
    /// Writes <paramref name="tensors"/> (data in list order) and <paramref name="metadata"/> to
    /// <paramref name="path"/> atomically: a crash leaves either the previous file or the new one.
    /// </summary>
    /// <exception cref="ArgumentException">Duplicate or empty names, the reserved name "__metadata__", or a shape that does not match its data.</exception>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        CheckForWrite(tensors);
        byte[] header = BuildHeader(tensors, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> size = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
            stream.Write(size);
            stream.Write(header);
            foreach (NamedTensor tensor in tensors)
                WriteLittleEndian(stream, tensor.Data);
        });
    }

    /// <summary>Reads and fully validates a safetensors file holding F32 tensors.</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and, where one is at fault, the tensor.</exception>
    public static SafeTensorFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads safetensors content from a seekable <paramref name="stream"/>; <paramref name="path"/> names it in errors.
    /// The fuzz targets and property tests feed bytes here without a file.</summary>
    /// <exception cref="InvalidDataException">The content is malformed (the only exception malformed content may cause).</exception>
    internal static SafeTensorFile Read(Stream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw DataFormat.Error(path, $"truncated: expected an 8-byte header size, file has {fileLength} bytes");
        Span<byte> sizeBytes = stackalloc byte[8];
        stream.ReadExactly(sizeBytes);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(sizeBytes);
        if (headerSize > (ulong)Math.Min(MaxHeaderBytes, fileLength - 8))
            throw DataFormat.Error(path, $"bad header size: declares {headerSize} bytes of JSON header, file has {fileLength - 8} bytes after the size field (limit {MaxHeaderBytes})");

        var header = new byte[headerSize];
        stream.ReadExactly(header);
        var (entries, metadata) = ParseHeader(path, header);

        long dataLength = fileLength - 8 - (long)headerSize;
        CheckLayout(path, entries, dataLength);

        long dataStart = 8 + (long)headerSize;
        var tensors = new List<NamedTensor>(entries.Count);
        foreach (Entry entry in entries.OrderBy(e => e.Begin))
        {
            var data = new float[entry.ElementCount];
            stream.Position = dataStart + entry.Begin;
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            if (!BitConverter.IsLittleEndian)
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data.AsSpan()), MemoryMarshal.Cast<float, int>(data.AsSpan()));
            tensors.Add(new NamedTensor(entry.Name, entry.Shape, data));
        }
        return new SafeTensorFile(path, tensors, metadata);
    }

    private sealed record Entry(string Name, int[] Shape, long ElementCount, long Begin, long End);

    private static void CheckForWrite(IReadOnlyList<NamedTensor> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (NamedTensor t in tensors)
        {
            if (string.IsNullOrEmpty(t.Name) || t.Name == MetadataKey)
                throw new ArgumentException($"tensor name '{t.Name}' is not allowed (empty or reserved)", nameof(tensors));
            if (!names.Add(t.Name))
                throw new ArgumentException($"duplicate tensor name '{t.Name}'", nameof(tensors));
            if (t.Shape.Any(d => d < 0) || t.ElementCount != t.Data.LongLength)
                throw new ArgumentException($"tensor '{t.Name}': shape [{string.Join(",", t.Shape)}] needs {t.ElementCount} values, data has {t.Data.Length}", nameof(tensors));
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        // Relaxed escaping keeps non-ASCII names and values readable in the header (it is still valid
        // JSON; the stricter default only matters when JSON is embedded in HTML).
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (NamedTensor t in tensors)
            {
                long end = offset + 4 * t.Data.LongLength;
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", F32);
                writer.WriteStartArray("shape");
                foreach (int dim in t.Shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }
            writer.WriteEndObject();
        }
        // Pad with spaces (valid JSON whitespace) so the data starts 8-byte aligned.
        int padded = (int)((json.Length + 7) / 8 * 8);
        byte[] header = new byte[padded];
        json.GetBuffer().AsSpan(0, (int)json.Length).CopyTo(header);
        header.AsSpan((int)json.Length).Fill((byte)' ');
        return header;
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header)
    {
        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException.
        if (!Utf8.IsValid(header))
            throw DataFormat.Error(path, "header is not valid UTF-8 text");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw DataFormat.Error(path, $"header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                return ReadHeader(path, document);
            }
            catch (InvalidOperationException e)
            {
                // The one way reading a parsed document's names and strings fails: an escape such as \ud800 that
                // leaves a UTF-16 surrogate unpaired.
                throw DataFormat.Error(path, "header holds a string with an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF)", e);
            }
        }
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ReadHeader(string path, JsonDocument document)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw DataFormat.Error(path, $"header: expected a JSON object, found {document.RootElement.ValueKind}");

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw DataFormat.Error(path, $"header: duplicate key '{property.Name}'");
            if (property.Name == MetadataKey)
                ReadMetadata(path, property.Value, metadata);
            else
                entries.Add(ReadEntry(path, property.Name, property.Value));
        }
        return (entries, metadata);
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return; // what a writer with no metadata may emit
        if (value.ValueKind != JsonValueKind.Object)
            throw DataFormat.Error(path, $"{MetadataKey}: expected an object of strings, found {value.ValueKind}");
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw DataFormat.Error(path, $"{MetadataKey}['{item.Name}']: expected a string, found {item.Value.ValueKind}");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static Entry ReadEntry(string path, string name, JsonElement value)
    {
        InvalidDataException Bad(string detail) => DataFormat.Error(path, $"tensor '{name}': {detail}");

        if (value.ValueKind != JsonValueKind.Object)
            throw Bad($"expected an object with dtype, shape and data_offsets, found {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Bad("missing string field 'dtype'");
        if (dtype.GetString() != F32)
            throw Bad($"dtype {dtype.GetString()} is not supported: expected {F32}");

        long[] shape = ReadIntegers(value, "shape", Bad);
        long[] offsets = ReadIntegers(value, "data_offsets", Bad);
        if (shape.Any(d => d > int.MaxValue))
            throw Bad($"shape [{string.Join(",", shape)}] has a dimension over {int.MaxValue}");
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Bad($"expected data_offsets [begin, end] with begin <= end, found [{string.Join(",", offsets)}]");

        long count = 1;
        foreach (long dim in shape)
        {
            count *= dim;
            if (count > Array.MaxLength)
                throw Bad($"shape [{string.Join(",", shape)}] has more than {Array.MaxLength} elements");
        }
        if (count * 4 != offsets[1] - offsets[0])
            throw Bad($"shape [{string.Join(",", shape)}] of {F32} needs {count * 4} bytes, data_offsets [{offsets[0]},{offsets[1]}] span {offsets[1] - offsets[0]}");
        return new Entry(name, shape.Select(d => (int)d).ToArray(), count, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(JsonElement value, string field, Func<string, InvalidDataException> bad)
    {
        if (!value.TryGetProperty(field, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw bad($"missing array field '{field}'");
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long n) || n < 0)
                throw bad($"'{field}' must hold non-negative integers, found {item.GetRawText()}");
            result[i++] = n;
        }
        return result;
    }

    /// <summary>Like the reference reader: the tensors must tile the data section exactly, no gaps, no overlaps.</summary>
    private static void CheckLayout(string path, List<Entry> entries, long dataLength)
    {
        long expectedBegin = 0;
        foreach (Entry entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expectedBegin)
                throw DataFormat.Error(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin},{entry.End}] " +
                    (entry.Begin < expectedBegin ? "overlap" : "leave a gap after") + $" the previous tensor, which ends at {expectedBegin}");
            expectedBegin = entry.End;
        }
        if (expectedBegin != dataLength)
        {
            string problem = expectedBegin > dataLength ? "truncated" : "trailing bytes";
            throw DataFormat.Error(path, $"{problem}: the header's tensors span {expectedBegin} bytes of data, file has {dataLength} after the header");
        }
    }

    private static void WriteLittleEndian(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        Span<byte> buffer = stackalloc byte[4];
        foreach (float value in data)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }
}

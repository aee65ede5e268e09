using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuAe.Tests.Data;

/// <summary>Writes synthetic IDX files (optionally gzipped) for the reader tests.</summary>
internal static class IdxFiles
{
    public static byte[] Bytes(byte typeCode, int[] dims, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        payload.CopyTo(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    public static string WriteUInt8(string path, int[] dims, byte[]? payload = null)
    {
        payload ??= Enumerable.Range(0, dims.Aggregate(1, (a, b) => a * b)).Select(i => (byte)(i * 7)).ToArray();
        return Write(path, Bytes(0x08, dims, payload));
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/>, gzipped when the path ends in .gz.</summary>
    public static string Write(string path, byte[] bytes)
    {
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            gzip.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
        return path;
    }
}

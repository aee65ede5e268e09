using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using GpuAe.Visualization;

namespace GpuAe.Tests.Visualization;

/// <summary>
/// A minimal PNG reader for 8-bit RGB, written apart from the encoder so the round trip checks the
/// format, not the encoder against itself: it verifies every chunk CRC and undoes all five filters.
/// </summary>
internal static class PngDecoder
{
    public sealed record Chunk(string Type, byte[] Data);

    public static List<Chunk> ReadChunks(byte[] file)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.Equal(signature, file[..8]);
        var chunks = new List<Chunk>();
        int pos = 8;
        while (pos < file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            string type = Encoding.ASCII.GetString(file, pos + 4, 4);
            byte[] data = file.AsSpan(pos + 8, length).ToArray();
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos + 8 + length));
            Assert.Equal(Crc32.Compute(file.AsSpan(pos + 4, 4 + length)), stored);
            chunks.Add(new Chunk(type, data));
            pos += 12 + length;
        }
        Assert.Equal(file.Length, pos);
        return chunks;
    }

    /// <summary>Width, height and RGB bytes of an 8-bit RGB PNG.</summary>
    public static (int Width, int Height, byte[] Rgb) Decode(byte[] file)
    {
        var chunks = ReadChunks(file);
        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        byte[] h = chunks[0].Data;
        int width = BinaryPrimitives.ReadInt32BigEndian(h), height = BinaryPrimitives.ReadInt32BigEndian(h.AsSpan(4));
        Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, h[8..13]);

        var compressed = new MemoryStream();
        foreach (var c in chunks.Where(c => c.Type == "IDAT"))
            compressed.Write(c.Data);
        compressed.Position = 0;
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress))
            zlib.CopyTo(raw);
        byte[] filtered = raw.ToArray();

        int stride = width * 3;
        Assert.Equal(height * (stride + 1), filtered.Length);
        var rgb = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = filtered[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= 3 ? rgb[y * stride + i - 3] : 0;
                int b = y > 0 ? rgb[(y - 1) * stride + i] : 0;
                int c = i >= 3 && y > 0 ? rgb[(y - 1) * stride + i - 3] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => PaethReference(a, b, c),
                    _ => throw new InvalidDataException($"Bad filter type {filter} in row {y}."),
                };
                rgb[y * stride + i] = (byte)(filtered[y * (stride + 1) + 1 + i] + predictor);
            }
        }
        return (width, height, rgb);
    }

    // Written from the PNG specification's pseudocode, independent of the encoder's.
    private static int PaethReference(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        if (pb <= pc) return b;
        return c;
    }
}

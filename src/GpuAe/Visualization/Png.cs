using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuAe.Visualization;

/// <summary>Writes <see cref="RgbImage"/>s as PNG files (8-bit RGB, non-interlaced).</summary>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The PNG file bytes of <paramref name="image"/>.</summary>
    public static byte[] Encode(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var file = new MemoryStream();
        file.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8;  // bits per channel
        header[9] = 2;  // colour type: RGB
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method: adaptive, five filter types
        header[12] = 0; // no interlace
        WriteChunk(file, "IHDR", header);

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                WriteFilteredRows(zlib, image);
            WriteChunk(file, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="image"/> to <paramref name="path"/> atomically: the bytes go to a temporary
    /// file in the same folder, which then replaces the target, so readers never see a half-written PNG.
    /// </summary>
    /// <exception cref="IOException">The file could not be written; the message names the path.</exception>
    public static void Write(string path, RgbImage image)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = Encode(image);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new IOException($"Could not write PNG '{full}': {e.Message}", e);
        }
    }

    private static void WriteChunk(Stream file, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        for (int i = 0; i < 4; i++)
            typeBytes[i] = (byte)type[i];
        file.Write(typeBytes);
        file.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, typeBytes), data)));
        file.Write(word);
    }

    // Per row, tries all five PNG filters and keeps the one whose output has the smallest sum of
    // absolute values (as signed bytes): the heuristic the PNG spec recommends, and cheap.
    private static void WriteFilteredRows(Stream output, RgbImage image)
    {
        const int Bpp = 3;
        int stride = image.Width * Bpp;
        ReadOnlySpan<byte> pixels = image.Pixels;
        var zeroRow = new byte[stride];
        var candidate = new byte[stride + 1];
        var best = new byte[stride + 1];
        for (int y = 0; y < image.Height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * stride, stride);
            ReadOnlySpan<byte> above = y == 0 ? zeroRow : pixels.Slice((y - 1) * stride, stride);
            long bestScore = long.MaxValue;
            for (byte filter = 0; filter <= 4; filter++)
            {
                candidate[0] = filter;
                long score = 0;
                for (int i = 0; i < stride; i++)
                {
                    int left = i >= Bpp ? row[i - Bpp] : 0;
                    int upLeft = i >= Bpp ? above[i - Bpp] : 0;
                    int predicted = filter switch
                    {
                        0 => 0,
                        1 => left,
                        2 => above[i],
                        3 => (left + above[i]) / 2,
                        _ => Paeth(left, above[i], upLeft),
                    };
                    byte value = (byte)(row[i] - predicted);
                    candidate[i + 1] = value;
                    score += Math.Abs((int)(sbyte)value);
                }
                if (score < bestScore)
                {
                    bestScore = score;
                    candidate.CopyTo(best, 0);
                }
            }
            output.Write(best);
        }
    }

    /// <summary>The Paeth predictor: whichever of left, above, upper-left is closest to left + above - upper-left.</summary>
    internal static int Paeth(int left, int above, int upLeft)
    {
        int p = left + above - upLeft;
        int pa = Math.Abs(p - left), pb = Math.Abs(p - above), pc = Math.Abs(p - upLeft);
        return pa <= pb && pa <= pc ? left : pb <= pc ? above : upLeft;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { /* best effort: the original error matters more */ }
        catch (UnauthorizedAccessException) { }
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GpuAe.Data;

namespace GpuAe.IO;

/// <summary>A NumPy array read from a .npy file: its shape, values as float32, and whether it held unsigned bytes.</summary>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Values">All elements in C order, converted to float32 (bytes as 0..255, not yet scaled).</param>
/// <param name="IsUInt8">True when the file held uint8 (pixel data that is divided by 255).</param>
public sealed record NpyArray(int[] Shape, float[] Values, bool IsUInt8);

/// <summary>NumPy .npy (format 1.0-3.0): a float32 matrix writer, so numpy.load reads the codes directly, and a reader
/// for float32, float64 and uint8 arrays in C order.</summary>
public static partial class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a rows x columns float32 matrix.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, int rows, int columns)
    {
        if ((long)rows * columns != values.Length)
            throw new ArgumentException($"{path}: {values.Length} values do not form a {rows} x {columns} matrix");
        string header = string.Create(CultureInfo.InvariantCulture,
            $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        // magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64.
        int total = (10 + header.Length + 1 + 63) / 64 * 64;
        header = header.PadRight(total - 10 - 1) + "\n";
        var bytes = new byte[total + values.Length * 4L];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, 10);
        var data = bytes.AsSpan(total);
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data[(i * 4)..], values[i]);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Reads a .npy file of dtype float32, float64 or uint8 (little-endian, C order).</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, another dtype, Fortran order, or a size that disagrees with the
    /// header; the message names the file and what was found.</exception>
    public static NpyArray Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw DataFormat.Error(path, "not a NumPy .npy file (it does not start with \\x93NUMPY)");
        int major = bytes[6];
        (int headerLength, int headerStart) = major switch
        {
            1 => (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2)), 10),
            2 or 3 when bytes.Length >= 12 => ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8, 4)), 12),
            _ => throw DataFormat.Error(path, $"unsupported .npy format version {major}.{bytes[7]} (expected 1.0, 2.0 or 3.0)"),
        };
        if (headerLength < 0 || (long)headerStart + headerLength > bytes.Length)
            throw DataFormat.Error(path, $"truncated: the header declares {headerLength} bytes, the file has {bytes.Length - headerStart} after the preamble");
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);

        string descr = HeaderField(path, header, DescrPattern(), "descr");
        string order = HeaderField(path, header, FortranPattern(), "fortran_order");
        string shapeText = HeaderField(path, header, ShapePattern(), "shape");
        if (order == "True")
            throw DataFormat.Error(path, "Fortran-order arrays are not supported; save it in C order (numpy.ascontiguousarray) and try again");
        int elementSize = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            "|u1" or "<u1" => 1,
            _ => throw DataFormat.Error(path, $"dtype '{descr}' is not supported; expected float32 ('<f4'), float64 ('<f8') or uint8 ('|u1')"),
        };
        int[] shape = ParseShape(path, shapeText);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        int dataStart = headerStart + headerLength;
        long expected = count * elementSize, actual = bytes.Length - dataStart;
        if (expected != actual)
            throw DataFormat.Error(path, $"{(actual < expected ? "truncated" : "trailing bytes")}: shape ({shapeText}) of {descr} needs {expected} bytes of data, the file has {actual}");
        if (count > Array.MaxLength)
            throw DataFormat.Error(path, $"shape ({shapeText}) has {count} elements, more than one array can hold");

        var values = new float[count];
        var data = bytes.AsSpan(dataStart);
        for (int i = 0; i < values.Length; i++)
            values[i] = elementSize switch
            {
                4 => BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i, 4)),
                8 => (float)BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(8 * i, 8)),
                _ => data[i],
            };
        return new NpyArray(shape, values, elementSize == 1);
    }

    private static string HeaderField(string path, string header, Regex pattern, string key)
    {
        var match = pattern.Match(header);
        return match.Success ? match.Groups[1].Value
            : throw DataFormat.Error(path, $"the header has no readable '{key}' entry: {header.Trim()}");
    }

    private static int[] ParseShape(string path, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw DataFormat.Error(path, $"shape ({text}): '{parts[i]}' is not a dimension");
        return shape;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

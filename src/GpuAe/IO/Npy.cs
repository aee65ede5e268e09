using System.Globalization;
using System.Text;

namespace GpuAe.IO;

/// <summary>NumPy .npy (format 1.0) writer for float32 matrices, so numpy.load reads the codes directly.</summary>
public static class Npy
{
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
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, 10);
        var data = bytes.AsSpan(total);
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(data[(i * 4)..], values[i]);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}

using System.Text;
using GpuAe.IO;

namespace GpuAe.Tests.Data;

/// <summary>Writes .npy files byte by byte, so the reader is tested against the format, not against our writer alone.</summary>
internal static class NpyFiles
{
    public static string Write(string path, string descr, int[] shape, byte[] payload, bool fortran = false)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({dims}), }}";
        int total = (10 + header.Length + 1 + 63) / 64 * 64;
        header = header.PadRight(total - 11) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)(header.Length & 0xFF), (byte)(header.Length >> 8)]);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(payload);
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }

    public static string Float32(string path, int[] shape, float[] values) =>
        Write(path, "<f4", shape, values.SelectMany(BitConverter.GetBytes).ToArray());
}

public class NpyReaderTests
{
    [Fact]
    public void Reads_what_the_writer_wrote()
    {
        using var dir = new TempDirectory();
        float[] values = [1.5f, -2f, 0f, 3.25f, 7f, 8f];
        Npy.Write(dir.File("m.npy"), values, 2, 3);
        var array = Npy.Read(dir.File("m.npy"));
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal(values, array.Values);
        Assert.False(array.IsUInt8);
    }

    [Fact]
    public void Reads_float64_and_uint8_and_four_dimensions()
    {
        using var dir = new TempDirectory();
        double[] doubles = [0.1, 2.5, -3, 4];
        var f8 = Npy.Read(NpyFiles.Write(dir.File("d.npy"), "<f8", [1, 1, 2, 2], doubles.SelectMany(BitConverter.GetBytes).ToArray()));
        Assert.Equal([1, 1, 2, 2], f8.Shape);
        Assert.Equal(doubles.Select(d => (float)d), f8.Values);

        var u1 = Npy.Read(NpyFiles.Write(dir.File("u.npy"), "|u1", [2, 2], [0, 255, 7, 128]));
        Assert.True(u1.IsUInt8);
        Assert.Equal([0f, 255f, 7f, 128f], u1.Values);
    }

    [Theory]
    [InlineData("<i8", false, "dtype '<i8' is not supported")]
    [InlineData(">f4", false, "dtype '>f4' is not supported")]
    [InlineData("<f4", true, "Fortran-order arrays are not supported")]
    public void Rejects_unsupported_arrays_naming_the_file(string descr, bool fortran, string expected)
    {
        using var dir = new TempDirectory();
        string path = NpyFiles.Write(dir.File("bad.npy"), descr, [2, 2], new byte[descr.EndsWith('8') ? 32 : 16], fortran);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Rejects_truncated_data_and_non_npy_files()
    {
        using var dir = new TempDirectory();
        string truncated = NpyFiles.Write(dir.File("t.npy"), "<f4", [3, 2], new byte[20]);
        Assert.Contains("truncated: shape (3, 2) of <f4 needs 24 bytes of data, the file has 20", Assert.Throws<InvalidDataException>(() => Npy.Read(truncated)).Message);
        File.WriteAllText(dir.File("text.npy"), "a,b\n1,2\n");
        Assert.Contains("not a NumPy .npy file", Assert.Throws<InvalidDataException>(() => Npy.Read(dir.File("text.npy"))).Message);
    }
}

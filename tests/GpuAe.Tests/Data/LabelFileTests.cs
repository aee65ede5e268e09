using GpuAe.Data;

namespace GpuAe.Tests.Data;

public class LabelFileTests
{
    private static readonly Dataset Three = new("three", new float[3 * 4], 3, 1, 2, 2);

    [Fact]
    public void Reads_idx_bytes_and_npy_uint8_or_whole_floats()
    {
        using var dir = new TempDirectory();
        Assert.Equal([0, 7, 255], LabelFile.Read(IdxFiles.WriteUInt8(dir.File("l.idx"), [3], [0, 7, 255]), Three));
        Assert.Equal([1, 2, 3], LabelFile.Read(NpyFiles.Write(dir.File("u8.npy"), "|u1", [3], [1, 2, 3]), Three));
        Assert.Equal([4, 0, 9], LabelFile.Read(NpyFiles.Float32(dir.File("f.npy"), [3], [4, 0, 9]), Three));
    }

    [Theory]
    [InlineData("half", "element 1 is 1.5, not a whole-number class 0..255")]
    [InlineData("negative", "element 0 is -1, not a whole-number class 0..255")]
    [InlineData("matrix", "labels must be a 1-D array, found shape (3, 1)")]
    [InlineData("count", "2 labels for the 3 samples of 'three'")]
    [InlineData("idx-images", "labels must be a 1-D IDX array of unsigned bytes, found shape [3, 2, 2] of UInt8")]
    public void Bad_label_files_name_the_file_and_the_problem(string kind, string expected)
    {
        using var dir = new TempDirectory();
        string path = kind switch
        {
            "half" => NpyFiles.Float32(dir.File("l.npy"), [3], [1, 1.5f, 2]),
            "negative" => NpyFiles.Float32(dir.File("l.npy"), [3], [-1, 1, 2]),
            "matrix" => NpyFiles.Float32(dir.File("l.npy"), [3, 1], [1, 1, 2]),
            "count" => NpyFiles.Float32(dir.File("l.npy"), [2], [1, 1]),
            _ => IdxFiles.WriteUInt8(dir.File("l.idx"), [3, 2, 2]),
        };
        var e = Assert.Throws<InvalidDataException>(() => LabelFile.Read(path, Three));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_file_names_the_option() =>
        Assert.Equal("--labels nowhere.idx: no such file", Assert.Throws<FileNotFoundException>(() => LabelFile.Read("nowhere.idx", Three)).Message);
}

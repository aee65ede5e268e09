using GpuAe.Data;

namespace GpuAe.Tests.Data;

public class CsvReaderTests
{
    private static string Csv(TempDirectory dir, string text)
    {
        string path = dir.File("table.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Reads_features_labels_and_drops_columns()
    {
        using var dir = new TempDirectory();
        string path = Csv(dir, "id,a,b,target\n1,0.5,-2,1\n2,1e3,3.25,0\n");
        var table = CsvReader.Read(path, "target", ["id"]);
        Assert.Equal(["a", "b"], table.Features);
        Assert.Equal(2, table.Rows);
        Assert.Equal([0.5f, -2f, 1000f, 3.25f], table.Values);
        Assert.Equal([1, 0], table.Labels!);

        var chosen = CsvReader.Read(path, features: ["b", "id"]);
        Assert.Equal([-2f, 1f, 3.25f, 2f], chosen.Values);
        Assert.Null(chosen.Labels);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,x\n", "line 3, column 'b': 'x' is not a number")]
    [InlineData("a,b\n1,2\n3\n", "line 3: 1 cells, the header has 2 columns")]
    [InlineData("a,b\n1,NaN\n", "line 2, column 'b': NaN is not a finite number")]
    [InlineData("a,b\n1,2\n-Infinity,2\n", "line 3, column 'a': -Infinity is not a finite number")]
    [InlineData("", "the file is empty")]
    [InlineData("a,b\n", "the file has a header but no data rows")]
    [InlineData("a,a\n1,2\n", "line 1: column 'a' appears twice")]
    public void Bad_tables_fail_naming_file_line_and_column(string text, string expected)
    {
        using var dir = new TempDirectory();
        string path = Csv(dir, text);
        var e = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_label_and_drop_columns_and_bad_labels_are_errors()
    {
        using var dir = new TempDirectory();
        string path = Csv(dir, "a,b,class\n1,2,1.5\n");
        Assert.Contains("--label-column: no column 'target' in the header (a, b, class)",
            Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, "target")).Message);
        Assert.Contains("--drop-columns: no column 'id'", Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, dropColumns: ["id"])).Message);
        Assert.Contains("line 2, label column 'class': '1.5' is not a whole-number class 0..255",
            Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, "class")).Message);
        Assert.Contains("no feature columns are left", Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, "class", ["a", "b"])).Message);
    }
}

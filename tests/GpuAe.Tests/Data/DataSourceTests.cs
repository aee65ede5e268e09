using GpuAe.Data;
using GpuAe.Models;

namespace GpuAe.Tests.Data;

public class DataSourceTests
{
    private static void Quiet(string _) { }

    private static string Table(TempDirectory dir, int rows, string name = "t.csv")
    {
        var lines = new List<string> { "id,x,y,const,label" };
        for (int i = 0; i < rows; i++) lines.Add($"{i},{i * 0.5},{100 - i},7,{i % 3}");
        File.WriteAllLines(dir.File(name), lines);
        return dir.File(name);
    }

    [Fact]
    public void Csv_is_split_by_seed_and_minmax_scaled_on_the_training_split_only()
    {
        using var dir = new TempDirectory();
        string path = Table(dir, 50);
        var request = new DataRequest(path, LabelColumn: "label", DropColumns: ["id"], Seed: 3);
        var a = DataSource.Load(request, Quiet);
        var b = DataSource.Load(request, Quiet);
        var other = DataSource.Load(request with { Seed = 4 }, Quiet);

        Assert.Equal((40, 10), (a.Train.Count, a.Test.Count));
        Assert.Equal(a.Test.Images, b.Test.Images);
        Assert.NotEqual(a.Test.Images, other.Test.Images);
        Assert.Equal([3], a.Preparation.SampleShape);
        Assert.Equal(["x", "y", "const"], a.Preparation.Features!);
        Assert.Equal(ScaleKind.MinMax, a.Preparation.Kind);
        // fitted on the training rows: those span [0, 1] exactly per feature; the constant column has scale 1 and is 0
        for (int j = 0; j < 2; j++)
        {
            var column = Enumerable.Range(0, a.Train.Count).Select(i => a.Train.Images[i * 3 + j]).ToArray();
            Assert.Equal((0f, 1f), (column.Min(), column.Max()));
        }
        Assert.All(Enumerable.Range(0, a.Train.Count), i => Assert.Equal(0f, a.Train.Images[i * 3 + 2]));
        Assert.Equal(1f, a.Preparation.Scale[2]);
        Assert.Contains(a.Notes, n => n.Contains("'const' is constant on the training split: scale 1"));
        Assert.Equal(a.Train.Count + a.Test.Count, a.Train.Labels!.Length + a.Test.Labels!.Length);
        Assert.Single(a.Fingerprint.Files);
    }

    [Fact]
    public void Standard_scaling_uses_training_mean_and_deviation_and_round_trips_through_json()
    {
        using var dir = new TempDirectory();
        var loaded = DataSource.Load(new DataRequest(Table(dir, 40), TestData: Table(dir, 10, "test.csv"), Scale: ScaleKind.Standard,
            LabelColumn: "label", DropColumns: ["id", "const"]), Quiet);
        Assert.Equal((40, 10), (loaded.Train.Count, loaded.Test.Count));
        Assert.Equal(2, loaded.Fingerprint.Files.Count);
        var x = Enumerable.Range(0, 40).Select(i => (double)loaded.Train.Images[i * 2]).ToArray();
        Assert.Equal(0, x.Average(), 5);
        Assert.Equal(1, Math.Sqrt(x.Select(v => v * v).Average()), 4);
        Assert.Equal(9.75f, loaded.Preparation.Offset[0]); // mean of 0, 0.5, ..., 19.5

        var json = loaded.Preparation.ToJson();
        var back = InputScaling.FromJson(json, "test");
        Assert.Equal(json, back.ToJson());
        Assert.Equal(loaded.Preparation.Scale, back.Scale);
        Assert.Equal(Path.GetFullPath(dir.File("test.csv")), back.TestData);
        Assert.Contains("malformed scaling JSON", Assert.Throws<InvalidDataException>(() => InputScaling.FromJson("{\"kind\":\"minmax\"}", "f: metadata 'gpuae.scaling'")).Message);
    }

    [Fact]
    public void Npy_and_gzipped_idx_files_of_any_shape_load_as_images()
    {
        using var dir = new TempDirectory();
        string npy = NpyFiles.Write(dir.File("u8.npy"), "|u1", [10, 2, 3, 4], Enumerable.Range(0, 240).Select(i => (byte)i).ToArray());
        var images = DataSource.Load(new DataRequest(npy, ValSplit: 0.3), Quiet);
        Assert.Equal([2, 3, 4], images.Preparation.SampleShape);
        Assert.True(images.Preparation.IsImage);
        Assert.Equal((7, 3), (images.Train.Count, images.Test.Count));
        Assert.InRange(images.Train.Images.Concat(images.Test.Images).Max(), 0.9f, 1f); // bytes / 255

        string idx = IdxFiles.WriteUInt8(dir.File("imgs-idx4-ubyte.gz"), [6, 3, 5, 5]);
        var fromIdx = DataSource.Load(new DataRequest(idx), Quiet);
        Assert.Equal([3, 5, 5], fromIdx.Preparation.SampleShape);
        Assert.Equal(6, fromIdx.Train.Count + fromIdx.Test.Count);
    }

    [Fact]
    public void Options_that_do_not_fit_the_source_are_errors()
    {
        using var dir = new TempDirectory();
        string npy = NpyFiles.Float32(dir.File("x.npy"), [4, 2], new float[8]);
        Assert.Contains("--label-column and --drop-columns apply to CSV files",
            Assert.Throws<ArgumentException>(() => DataSource.Load(new DataRequest(npy, LabelColumn: "y"), Quiet)).Message);
        Assert.Contains("--val-split must be between 0 and 1",
            Assert.Throws<ArgumentException>(() => DataSource.Load(new DataRequest(npy, ValSplit: 1.5), Quiet)).Message);
        Assert.Contains("no such file or folder",
            Assert.Throws<FileNotFoundException>(() => DataSource.Load(new DataRequest(dir.File("none.csv")), Quiet)).Message);
        string nan = NpyFiles.Float32(dir.File("nan.npy"), [2, 2], [0, 1, float.NaN, 2]);
        Assert.Equal($"{nan}: dataset 'nan.npy': sample 1, pixel 0 is NaN",
            Assert.Throws<InvalidDataException>(() => DataSource.Load(new DataRequest(nan), Quiet)).Message);
        string other = Table(dir, 5, "other.csv");
        File.WriteAllText(dir.File("wide.csv"), "x,y,z\n1,2,3\n");
        Assert.Contains("do not match the training data",
            Assert.Throws<InvalidDataException>(() => DataSource.Load(new DataRequest(other, TestData: dir.File("wide.csv"), DropColumns: []), Quiet)).Message);
    }

    [Fact]
    public void Fashion_mnist_missing_names_the_debian_package()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<DataUnavailableException>(() => DataSource.LocateFashionMnist(dir.Path));
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
    }

    [SkippableFact]
    public void Fashion_mnist_loads_from_the_debian_package()
    {
        Skip.IfNot(Mnist.IsPresent(DataSource.FashionMnistDirectory), $"Fashion-MNIST is not installed in {DataSource.FashionMnistDirectory} (apt-get install dataset-fashion-mnist)");
        var loaded = DataSource.Load(new DataRequest("fashion-mnist"), Quiet);
        Assert.Equal((60000, 10000), (loaded.Train.Count, loaded.Test.Count));
        Assert.Equal(9, loaded.Train.Labels![0]); // the first Fashion-MNIST training image is an ankle boot
    }
}

public class PresetSizingTests
{
    [Theory]
    [InlineData("dense32", new[] { 30 })]
    [InlineData("vae", new[] { 7 })]
    [InlineData("deep", new[] { 3, 8, 8 })]
    [InlineData("conv-dense", new[] { 3, 8, 12 })]
    [InlineData("denoise", new[] { 2, 16, 16 })]
    [InlineData("conv-transpose", new[] { 1, 32, 32 })]
    [InlineData("conv", new[] { 3, 12, 20 })]
    public void Presets_build_for_shapes_their_arithmetic_allows(string name, int[] shape)
    {
        var preset = Presets.Get(name, shape);
        Assert.Equal(shape, preset.Model.InputShape);
        using var cpu = new GpuAe.Backends.Cpu.CpuBackend("managed");
        using var trainer = new GpuAe.Training.Trainer(cpu, preset.Model, preset.Recipe, seed: 1); // builds the layers: shapes must chain back
    }

    [Theory]
    [InlineData("conv", new[] { 1, 30, 30 }, "conv needs H and W of the form 8k-4 (12, 20, 28, 36, ...)")]
    [InlineData("denoise", new[] { 1, 30, 30 }, "denoise needs H and W divisible by 4, got 30x30")]
    [InlineData("conv-transpose", new[] { 12 }, "conv-transpose is a convolutional model for images [C, H, W]; got samples of shape [12]")]
    public void Conv_presets_say_which_shapes_they_take(string name, int[] shape, string expected)
    {
        var e = Assert.Throws<ModelSpecException>(() => Presets.Get(name, shape));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_mnist_shape_gives_the_preset_itself()
    {
        var preset = Presets.Get("dense32");
        Assert.Same(preset, preset.For([1, 28, 28]));
    }
}

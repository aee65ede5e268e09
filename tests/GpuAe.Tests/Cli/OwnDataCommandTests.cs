using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Tests.Data;

namespace GpuAe.Tests.Cli;

/// <summary>`gpuae train/encode/reconstruct/presets` on the user's own data: CSV, .npy, Fashion-MNIST, and their errors.</summary>
[Collection("cli")]
public class OwnDataCommandTests
{
    private static string Table(TempDirectory dir, string name = "rows.csv")
    {
        var random = new System.Random(5);
        var lines = new List<string> { "id,a,b,c,d,label" };
        for (int i = 0; i < 120; i++)
            lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{i},{random.NextDouble()},{random.NextDouble() * 50 - 10},{random.NextDouble()},{i % 4},{i % 2}"));
        File.WriteAllLines(dir.File(name), lines);
        return dir.File(name);
    }

    [Fact]
    public void Train_on_a_csv_stores_the_scaling_and_encode_applies_it()
    {
        using var dir = new TempDirectory();
        string csv = Table(dir), run = Path.Combine(dir.Path, "run");
        var (code, output, error) = CliRunner.Run("train", "--data", csv, "--label-column", "label", "--drop-columns", "id", "--backend", "cpu",
            "--epochs", "1", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("data: 96 train / 24 test rows of [4]", output);
        Assert.Contains($"wrote model.safetensors, metrics.json, loss.png, loss.svg to {run} (reconstructions.png skipped: the samples are table rows, not images)", output);
        Assert.False(File.Exists(Path.Combine(run, "reconstructions.png")));
        var scaling = InputScaling.FromJson(SafeTensors.Read(Path.Combine(run, "model.safetensors")).Metadata[InputScaling.MetadataKey], "test");
        Assert.Equal((ScaleKind.MinMax, "label"), (scaling.Kind, scaling.LabelColumn));
        Assert.Equal(["a", "b", "c", "d"], scaling.Features!);

        (code, _, error) = CliRunner.Run("encode", "--from", run, "--backend", "cpu", "--data", csv, "--out", Path.Combine(dir.Path, "codes"));
        Assert.True(code == 0, error);
        var codes = File.ReadAllLines(Path.Combine(dir.Path, "codes", "codes.csv"));
        Assert.Equal(121, codes.Length); // a file given to encode is encoded whole
        Assert.StartsWith("0,", codes[1]);
        Assert.StartsWith("1,", codes[2]);

        (code, _, error) = CliRunner.Run("reconstruct", "--from", run, "--backend", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("trained on table rows, not images", error);

        (code, output, error) = CliRunner.Run("train", "--resume", run, "--epochs", "2");
        Assert.True(code == 0, error);
        Assert.Contains("epoch   2/2", output);

        (code, _, error) = CliRunner.Run("train", "--resume", run, "--epochs", "3", "--scale", "standard");
        Assert.Equal(1, code);
        Assert.Equal($"error: --scale standard conflicts with --resume {run}: that run was made with --scale minmax (leave --scale out to continue it)", error.Trim());
        (code, _, error) = CliRunner.Run("train", "--resume", run, "--epochs", "3", "--val-split", "0.5");
        Assert.Equal(1, code);
        Assert.Contains("--val-split 0.5 conflicts with --resume", error);

        File.AppendAllText(csv, "999,0.5,1,0.5,2,1\n");
        (code, _, error) = CliRunner.Run("train", "--resume", run, "--epochs", "3", "--data", csv);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: --data {csv}: not the data the run in {run} was made with, {csv} (rows.csv ", error);
    }

    [Fact]
    public void Train_on_npy_images_sizes_the_conv_preset_and_draws_reconstructions()
    {
        using var dir = new TempDirectory();
        var random = new System.Random(2);
        string npy = NpyFiles.Float32(dir.File("images.npy"), [40, 2, 8, 8], Enumerable.Range(0, 40 * 128).Select(_ => (float)random.NextDouble()).ToArray());
        string run = Path.Combine(dir.Path, "run");
        var (code, output, error) = CliRunner.Run("train", "--data", npy, "--model", "conv-dense", "--backend", "cpu", "--epochs", "1", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("data: 32 train / 8 test images of [2, 8, 8]", output);
        Assert.Contains($"wrote model.safetensors, metrics.json, loss.png, loss.svg, reconstructions.png to {run}", output);

        (code, _, error) = CliRunner.Run("reconstruct", "--from", run, "--backend", "cpu", "--count", "4");
        Assert.True(code == 0, error);
    }

    [Theory]
    [InlineData("conv", "error: conv needs H and W of the form 8k-4")]
    [InlineData("dense32", "error: dataset 'x.npy (train)[0..5)': sample 0, value 0 is 5, outside [0, 1]; model dense32 uses binary cross-entropy")]
    public void Data_the_model_cannot_take_is_one_clear_line(string model, string expected)
    {
        using var dir = new TempDirectory();
        string npy = NpyFiles.Float32(dir.File("x.npy"), [6, 1, 6, 6], Enumerable.Repeat(5f, 216).ToArray());
        var (code, _, error) = CliRunner.Run("train", "--data", npy, "--model", model, "--backend", "cpu", "--epochs", "1", "--out", dir.File("run"));
        Assert.Equal(1, code);
        Assert.StartsWith(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Bad_csv_cells_and_scale_values_are_one_clear_line()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.csv"), "a,b\n1,2\n3,oops\n");
        var (code, _, error) = CliRunner.Run("train", "--data", dir.File("bad.csv"), "--backend", "cpu", "--out", dir.File("run"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {dir.File("bad.csv")}: line 3, column 'b': 'oops' is not a number", error.Trim());

        (code, _, error) = CliRunner.Run("train", "--data", dir.File("bad.csv"), "--scale", "zscore", "--backend", "cpu", "--out", dir.File("run"));
        Assert.Equal(1, code);
        Assert.Equal("error: --scale zscore: expected standard, minmax or none", error.Trim());
    }

    [Fact]
    public void Presets_json_prints_a_spec_that_model_file_takes()
    {
        using var dir = new TempDirectory();
        var (code, json, error) = CliRunner.Run("presets", "--json", "mlp256");
        Assert.True(code == 0, error);
        var spec = GpuAe.Models.ModelSpec.FromJson(json);
        Assert.Equal("mlp256", spec.Name);
        File.WriteAllText(dir.File("mine.json"), json.Replace("784", "4").Replace("[1,28,28]", "[4]").Replace("\"mlp256\"", "\"mine\""));

        string csv = Table(dir);
        var (trained, output, trainError) = CliRunner.Run("train", "--data", csv, "--drop-columns", "id,label", "--model", dir.File("mine.json"),
            "--backend", "cpu", "--epochs", "1", "--out", dir.File("run"));
        Assert.True(trained == 0, trainError);
        Assert.Contains("mine: flatten > dense 256 relu > dense 32 relu > dense 256 relu > dense 4 sigmoid", output);

        // --resume with the same spec file continues the run; a file holding another spec is a conflict.
        (trained, _, trainError) = CliRunner.Run("train", "--resume", dir.File("run"), "--model", dir.File("mine.json"), "--epochs", "2");
        Assert.True(trained == 0, trainError);
        File.WriteAllText(dir.File("other.json"), File.ReadAllText(dir.File("mine.json")).Replace("32", "16"));
        (trained, _, trainError) = CliRunner.Run("train", "--resume", dir.File("run"), "--model", dir.File("other.json"), "--epochs", "3");
        Assert.Equal(1, trained);
        Assert.Contains($"--model {dir.File("other.json")} conflicts with --resume", trainError);

        (trained, _, trainError) = CliRunner.Run("train", "--data", csv, "--model", dir.File("mine.json"), "--backend", "cpu", "--epochs", "1", "--out", dir.File("run2"));
        Assert.Equal(1, trained);
        Assert.Contains("its input_shape is [4], the data's samples are [6]", trainError);
    }

    [SkippableFact]
    public void Train_on_fashion_mnist_from_the_debian_package()
    {
        Skip.IfNot(Mnist.IsPresent(DataSource.FashionMnistDirectory), $"Fashion-MNIST is not installed in {DataSource.FashionMnistDirectory} (apt-get install dataset-fashion-mnist)");
        using var dir = new TempDirectory();
        var (code, output, error) = CliRunner.Run("train", "--data", "fashion-mnist", "--train-samples", "256", "--backend", "cpu", "--epochs", "1", "--out", dir.Path);
        Assert.True(code == 0, error);
        Assert.Contains($"data: 256 train / 10,000 test images of [1, 28, 28] from the IDX files in {DataSource.FashionMnistDirectory}", output);
        Assert.True(File.Exists(dir.File("reconstructions.png")));
    }
}

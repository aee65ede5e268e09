using System.Text.Json.Nodes;
using GpuAe.Data;
using GpuAe.Tests.Training;

namespace GpuAe.Tests.Cli;

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>The `gpuae` command in-process: outputs, resume, and errors users can act on.</summary>
[Collection("cli")]
public class TrainCommandTests : IClassFixture<MnistFixture>
{
    private readonly MnistFixture _mnist;
    public TrainCommandTests(MnistFixture mnist) => _mnist = mnist;

    private static (int Code, string Error) Run(params string[] args)
    {
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { return (GpuAe.Cli.Program.Main(args), error.ToString()); }
        finally { Console.SetError(saved); }
    }

    [SkippableFact]
    public void Train_writes_metrics_checkpoint_and_pictures_and_resume_continues()
    {
        _ = _mnist.Data; // skips when MNIST cannot be had
        using var dir = new TempDirectory();
        var (code, error) = Run("train", "--model", "dense32", "--backend", "cpu", "--epochs", "1", "--train-samples", "1024", "--out", dir.Path);
        Assert.True(code == 0, error);
        foreach (var file in new[] { "metrics.json", "model.safetensors", "loss.png", "loss.svg", "reconstructions.png" })
            Assert.True(File.Exists(dir.File(file)), $"{file} missing");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File("loss.png")).Take(4));

        (code, error) = Run("train", "--resume", dir.Path, "--epochs", "2", "--train-samples", "1024");
        Assert.True(code == 0, error);
        var metrics = JsonNode.Parse(File.ReadAllText(dir.File("metrics.json")))!;
        var epochs = metrics["epochs"]!.AsArray();
        Assert.Equal([1, 2], epochs.Select(e => e!["epoch"]!.GetValue<int>()));
        Assert.All(epochs, e => Assert.InRange(e!["val_loss"]!.GetValue<double>(), 0.05, 0.7));
        Assert.Equal("dense32", metrics["model"]!.GetValue<string>());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [SkippableFact]
    public void Encode_and_reconstruct_work_from_a_trained_run()
    {
        _ = _mnist.Data;
        using var dir = new TempDirectory();
        var (code, error) = Run("train", "--model", "deep3", "--backend", "cpu", "--epochs", "1", "--train-samples", "512", "--out", dir.Path);
        Assert.True(code == 0, error);

        (code, error) = Run("encode", "--from", dir.Path, "--backend", "cpu", "--count", "300");
        Assert.True(code == 0, error);
        var csv = File.ReadAllLines(dir.File("codes.csv"));
        Assert.Equal("label,z1,z2,z3", csv[0]);
        Assert.Equal(301, csv.Length);
        Assert.StartsWith("7,", csv[1]); // the first test digit is a 7
        var npy = File.ReadAllBytes(dir.File("codes.npy"));
        int headerLength = BitConverter.ToUInt16(npy, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'shape': (300, 3)", System.Text.Encoding.ASCII.GetString(npy, 10, headerLength));
        Assert.Equal(10 + headerLength + 300 * 3 * 4, npy.Length);
        Assert.Equal(float.Parse(csv[1].Split(',')[1], System.Globalization.CultureInfo.InvariantCulture), BitConverter.ToSingle(npy, 10 + headerLength));
        Assert.True(File.Exists(dir.File("latent.png")));

        File.Delete(dir.File("reconstructions.png"));
        (code, error) = Run("reconstruct", "--from", dir.Path, "--backend", "cpu", "--count", "5");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(dir.File("reconstructions.png")));

        // the AE-vs-PCA table: the 3-value code of deep3 against PCA with k = 3
        using var table = new TempDirectory();
        (code, error) = Run("pca", "--k", "3", "--backend", "cpu", "--compare", dir.Path, "--out", table.Path);
        Assert.True(code == 0, error);
        var row = File.ReadAllLines(table.File("ae-vs-pca.md"))[2].Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal(["deep3", "1", "3"], row[2..5]);
        double ae = double.Parse(row[5], System.Globalization.CultureInfo.InvariantCulture);
        double pca = double.Parse(row[6], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ae, 0.01, 0.3);     // two steps of training: barely better than a blank guess
        Assert.InRange(pca, 0.04, 0.08);   // k = 3 keeps about a quarter of the variance
        (code, error) = Run("pca", "--backend", "cpu", "--compare", table.Path);
        Assert.Equal(1, code);
        Assert.Contains("--compare", error);
    }

    [Fact]
    public void A_truncated_data_file_is_named_in_the_error()
    {
        using var dir = new TempDirectory();
        foreach (var name in Mnist.FileNames) File.WriteAllBytes(dir.File(name), [0, 0, 8, 3, 0, 0]);
        var (code, error) = Run("train", "--data", dir.Path, "--epochs", "1");
        Assert.Equal(1, code);
        Assert.Contains("train-images-idx3-ubyte", error);
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void Unknown_model_and_backend_are_clear_errors()
    {
        // the model is checked first, before the backend, the output folder or the data
        var (code, error) = Run("train", "--model", "nope", "--data", "/nonexistent-gpuae-data");
        Assert.Equal(1, code);
        Assert.StartsWith("error: unknown model 'nope'", error);
        (code, error) = Run("train", "--backend", "tpu", "--data", "/nonexistent-gpuae-data");
        Assert.Equal(1, code);
        Assert.StartsWith("error: unknown backend 'tpu'", error);
    }
}

[Collection("cli")]
public class SelftestCommandTests
{
    [Fact]
    public void Cpu_selftest_passes_every_kernel_against_the_float64_reference()
    {
        var output = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(output);
        int code;
        try { code = GpuAe.Cli.Program.Main(["selftest", "--backend", "cpu"]); }
        finally { Console.SetOut(saved); }
        Assert.Equal(0, code);
        Assert.Contains("PASS Gemm", output.ToString());
        Assert.DoesNotContain("FAIL", output.ToString());
    }

    [Fact]
    public void Unknown_backend_is_a_clear_error()
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int code;
        try { code = GpuAe.Cli.Program.Main(["selftest", "--backend", "tpu"]); }
        finally { Console.SetError(saved); }
        Assert.Equal(1, code);
        Assert.Contains("unknown backend 'tpu'; choose one of auto, cpu, opencl, cuda", error.ToString());
    }
}

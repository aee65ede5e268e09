using System.Text.Json.Nodes;
using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Tests.Training;

namespace GpuAe.Tests.Cli;

/// <summary>`gpuae train --resume`: bit for bit, with what the run was made with restored and conflicting options refused;
/// weights-only checkpoints; the run facts in metrics.json.</summary>
[Collection("cli")]
public class ResumeCommandTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static JsonNode Metrics(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!;

    private static string Ok((int Code, string Out, string Error) run)
    {
        Assert.True(run.Code == 0, run.Error);
        return run.Out;
    }

    [SkippableFact]
    public void Resume_restores_the_run_and_ends_in_the_same_bytes_as_a_straight_run()
    {
        _ = mnist.Data;
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        // --cpu-gemm managed and --train-samples are left out on resume: both must come back from the checkpoint.
        string[] run = ["train", "--model", "dense32", "--backend", "cpu", "--cpu-gemm", "managed", "--train-samples", "600", "--batch", "128", "--seed", "3"];
        Ok(CliRunner.Run([.. run, "--epochs", "2", "--out", a.Path]));
        string started = Metrics(a.Path)["started"]!.GetValue<string>();
        string resumed = Ok(CliRunner.Run("train", "--resume", a.Path, "--epochs", "4"));
        Assert.Contains($"resuming {Path.Combine(a.Path, "model.safetensors")} at epoch 2 of 4", resumed);
        Assert.DoesNotContain("will differ", resumed);
        Ok(CliRunner.Run([.. run, "--epochs", "4", "--out", b.Path]));

        Assert.Equal(File.ReadAllBytes(b.File("model.safetensors")), File.ReadAllBytes(a.File("model.safetensors")));
        var (ma, mb) = (Metrics(a.Path), Metrics(b.Path));
        Assert.Equal(mb["epochs"]!.AsArray().Select(e => e!["train_loss"]!.GetValue<double>()), ma["epochs"]!.AsArray().Select(e => e!["train_loss"]!.GetValue<double>()));
        Assert.Equal(started, ma["started"]!.GetValue<string>());
        Assert.Equal((600, 128, "managed", "fp32"), (ma["train_samples"]!.GetValue<int>(), ma["batch_size"]!.GetValue<int>(),
            ma["cpu_gemm"]!.GetValue<string>(), ma["precision"]!.GetValue<string>()));
        Assert.Equal(Path.GetFullPath(MnistLocator.DefaultCacheDirectory()), ma["data"]!["source"]!.GetValue<string>());
        Assert.Equal(4, ma["data"]!["files"]!.AsArray().Count);

        foreach (var (option, value, madeWith) in new[] { ("--seed", "4", "3"), ("--model", "deep", "dense32"), ("--train-samples", "100", "600") })
        {
            var (code, _, error) = CliRunner.Run("train", "--resume", a.Path, "--epochs", "6", option, value);
            Assert.Equal(1, code);
            Assert.Equal($"error: {option} {value} conflicts with --resume {a.Path}: that run was made with {option} {madeWith} (leave {option} out to continue it)", error.Trim());
        }
        using var other = new TempDirectory();
        foreach (string name in Mnist.FileNames) File.WriteAllBytes(other.File(name), [1, 2, 3]);
        var (c, _, e) = CliRunner.Run("train", "--resume", a.Path, "--epochs", "6", "--data", other.Path);
        Assert.Equal(1, c);
        Assert.Contains($"--data {other.Path}: not the data the run in {a.Path} was made with, {Path.GetFullPath(MnistLocator.DefaultCacheDirectory())} (train-images-idx3-ubyte 47,040,016 bytes sha256 ", e);

        (c, _, e) = CliRunner.Run("train", "--resume", a.Path, "--epochs", "4");
        Assert.Equal(1, c);
        Assert.Contains($"--epochs 4: the run in {a.Path} is already at epoch 4; --epochs is the total to reach, so give more than 4", e);
        Assert.Equal(4, Metrics(a.Path)["epochs"]!.AsArray().Count); // nothing rewritten
    }

    [SkippableFact]
    public void A_weights_only_checkpoint_serves_encode_reconstruct_and_training_with_a_fresh_optimizer()
    {
        _ = mnist.Data;
        using var dir = new TempDirectory();
        string wrote = Ok(CliRunner.Run("train", "--model", "deep3", "--backend", "cpu", "--train-samples", "500", "--batch", "1000", "--epochs", "1", "--out", dir.Path));
        Assert.Contains($"wrote model.safetensors, metrics.json, loss.png, loss.svg, reconstructions.png to {dir.Path}", wrote);
        var metrics = Metrics(dir.Path);
        Assert.Equal((500, 1000, 500), (metrics["batch_size"]!.GetValue<int>(), metrics["batch_size_requested"]!.GetValue<int>(), metrics["train_samples"]!.GetValue<int>()));

        string checkpoint = dir.File("model.safetensors");
        var file = SafeTensors.Read(checkpoint);
        SafeTensors.Write(checkpoint, file.Tensors.Where(t => !t.Name.StartsWith("optimizer.", StringComparison.Ordinal)).ToList(), file.Metadata);

        Ok(CliRunner.Run("encode", "--from", checkpoint, "--backend", "cpu", "--count", "20"));
        Assert.Equal(21, File.ReadAllLines(dir.File("codes.csv")).Length);
        File.Delete(dir.File("reconstructions.png"));
        Ok(CliRunner.Run("reconstruct", "--from", checkpoint, "--backend", "cpu", "--count", "3"));
        Assert.True(File.Exists(dir.File("reconstructions.png")));

        string stale = $".metrics.json.{Guid.NewGuid():N}.tmp"; // what a write killed mid-way leaves
        File.WriteAllText(dir.File(stale), "partial");
        string resumed = Ok(CliRunner.Run("train", "--resume", dir.Path, "--epochs", "2"));
        Assert.Contains($"{checkpoint} holds weights only (no optimizer state): training continues with a fresh Adam state from step 0", resumed);
        Assert.Contains($"removed 1 temp file(s) left by an interrupted write: {stale}", resumed);
        Assert.False(File.Exists(dir.File(stale)));
        Assert.Equal(2, Metrics(dir.Path)["epochs"]!.AsArray().Count);
    }
}

/// <summary>Option values are checked before any work, and errors carry no .NET type names or argument boilerplate.</summary>
[Collection("cli")]
public class OptionErrorTests
{
    [Theory]
    [InlineData("error: --epochs must be at least 1, got 0", "train", "--epochs", "0")]
    [InlineData("error: --epochs must be at least 1, got -1", "train", "--epochs", "-1")]
    [InlineData("error: --batch must be at least 1, got 0", "train", "--batch", "0")]
    [InlineData("error: --lr must be a finite number above 0, got -0.1", "train", "--lr", "-0.1")]
    [InlineData("error: --train-samples must be at least 1, got 0", "train", "--train-samples", "0")]
    [InlineData("error: --epochs must be at least 1, got 0", "anomaly", "--normal-class", "3", "--epochs", "0")]
    [InlineData("error: --normal-class 3 and --all-classes exclude each other; give one", "anomaly", "--normal-class", "3", "--all-classes")]
    [InlineData("error: --normal-class 12: expected a digit 0-9", "anomaly", "--normal-class", "12")]
    [InlineData("error: --k 0: a code size must be at least 1", "pca", "--k", "0", "30")]
    [InlineData("error: --count must be in 1..64, got 0", "reconstruct", "--from", "/nonexistent-run", "--count", "0")]
    [InlineData("error: --count must be at least 1, got 0", "encode", "--from", "/nonexistent-run", "--count", "0")]
    [InlineData("error: --from /nonexistent-run: no such folder or checkpoint file", "reconstruct", "--from", "/nonexistent-run")]
    public void Bad_values_stop_before_any_work(string expected, params string[] args)
    {
        // --data names no folder: reaching the data (or a fit, or training) would give another error
        var (code, _, error) = CliRunner.Run([.. args, "--data", "/nonexistent-gpuae-data"]);
        Assert.Equal(1, code);
        Assert.Equal(expected, error.Trim());
    }

    [Theory]
    [InlineData("train", "--epochs", "abc", "--epochs abc: expected a whole number")]
    [InlineData("train", "--lr", "fast", "--lr fast: expected a number")]
    [InlineData("anomaly", "--normal-class", "x", "--normal-class x: expected a whole number")]
    [InlineData("pca", "--k", "2.5", "--k 2.5: expected a whole number")]
    [InlineData("selftest", "--seed", "s", "--seed s: expected a whole number")]
    [InlineData("train", "--profile", "maybe", "Unrecognized command or argument 'maybe'")]
    public void Unparsable_numbers_are_named_without_dotnet_types(string command, string option, string value, string expected)
    {
        var (code, output, error) = CliRunner.Run(command, option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output + error);
        Assert.DoesNotContain("System.", output + error);
    }

    [Fact]
    public void Argument_exception_boilerplate_is_stripped()
    {
        Assert.Equal("k must be in 1..784", GpuAe.Cli.Commands.CliErrors.UserMessage(new ArgumentOutOfRangeException("k", 0, "k must be in 1..784")));
        Assert.Equal("codes hold 3 values", GpuAe.Cli.Commands.CliErrors.UserMessage(new ArgumentException("codes hold 3 values", "codes")));
    }
}

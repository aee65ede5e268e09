using System.Globalization;
using GpuAe.Tests.Training;

namespace GpuAe.Tests.Cli;

/// <summary>`gpuae bench epoch --report`: the roofline file and the errors users can act on.</summary>
[Collection("cli")]
public class BenchCommandTests : IClassFixture<MnistFixture>
{
    private readonly MnistFixture _mnist;
    public BenchCommandTests(MnistFixture mnist) => _mnist = mnist;

    [SkippableFact]
    public void Report_has_one_row_per_preset_with_positive_numbers()
    {
        _ = _mnist.Data; // skips when MNIST cannot be had
        using var dir = new TempDirectory();
        string path = dir.File("roofline.md");
        var (code, output, error) = CliRunner.Run("bench", "epoch", "--report", path, "--model", "dense32,conv", "--backend", "cpu",
            "--train-samples", "256", "--epochs", "2", "--note", "test run");
        Assert.True(code == 0, error);
        Assert.Contains("| dense32 |", output);
        string text = File.ReadAllText(path);
        Assert.Contains("- command: `gpuae bench epoch --report", text);
        Assert.Contains("- note: test run", text);
        Assert.Contains("GEMM provider: ", text);

        var rows = PresetTable(text);
        Assert.Equal(["dense32", "conv"], rows.Select(r => r[0]));
        foreach (var row in rows)
        {
            // batch, MFLOP/step, MB/step, FLOP/byte, ms/step, GFLOP/s, GB/s, % GEMM peak, % bandwidth
            foreach (string cell in row[1..10])
                Assert.True(double.Parse(cell, CultureInfo.InvariantCulture) > 0, $"{row[0]}: '{cell}' in {string.Join(" | ", row)}");
            Assert.Contains(row[10], new[] { "memory", "compute" });
        }
    }

    [Theory]
    [InlineData("--model;nope", "error: unknown model 'nope'; presets: dense32,")]
    [InlineData("--model; , ", "error: --model ' , ': expected preset names separated by commas")]
    [InlineData("--epochs;1", "error: --epochs must be at least 2, got 1")]
    [InlineData("--train-samples;0", "error: --train-samples must be at least 1, got 0")]
    [InlineData("--train-samples;many", "--train-samples many: expected a whole number")]
    public void Bad_input_gets_one_clear_line(string arguments, string expected)
    {
        var (code, _, error) = CliRunner.Run(["bench", "epoch", "--report", "/nonexistent-gpuae/r.md", "--data", "/nonexistent-gpuae-data",
            .. arguments.Split(';')]);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    /// <summary>The cells of the rows of the table under "## Per preset".</summary>
    private static List<string[]> PresetTable(string markdown)
    {
        var lines = markdown.Split('\n').SkipWhile(l => !l.StartsWith("## Per preset", StringComparison.Ordinal)).Skip(1)
            .SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2);
        return lines.Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
    }
}

using System.Globalization;
using System.Text;
using GpuAe.Backends;
using GpuAe.Models;
using GpuAe.Training;
using Xunit.Abstractions;

namespace GpuAe.Tests.OpenCL;

/// <summary>
/// One-epoch time per preset, OpenCL vs CPU, opt-in:
/// <c>GPUAE_BENCH=1 dotnet test tests/GpuAe.Tests -c Release --filter OpenClEpochBenchmark</c>.
/// Writes benchmarks/results/opencl-epoch.md.
/// </summary>
[Collection("OpenCL")]
public sealed class OpenClEpochBenchmarkTests(OpenClFixture fixture, ITestOutputHelper output)
{
    // (preset, training samples): full MNIST for the dense models; the conv model on a subset because
    // the CPU reference needs minutes per 1000 images on this 2-core host (samples/s is what compares).
    private static readonly (string Preset, int Samples)[] Runs = [("dense32", 60000), ("deep", 60000), ("conv", 2048)];

    [SkippableFact]
    public void OpenClEpochBenchmark_vs_cpu()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("GPUAE_BENCH") == "1", "benchmark is opt-in: set GPUAE_BENCH=1");
        var backend = fixture.Require();
        var inv = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        string dataName = "";
        foreach (var (name, samples) in Runs)
        {
            var preset = Presets.All.Single(p => p.Name == name);
            var (train, validation) = OpenClTrainingParityTests.LoadData(samples, 1000);
            dataName = train.Name.Split('[')[0];
            var cpu = Epoch(fixture.Reference, preset, train, validation);
            var ocl = Epoch(backend, preset, train, validation);
            var line = string.Create(inv,
                $"| {name} | {train.Count} | {preset.Recipe.BatchSize} | {cpu.EpochSeconds:F2} | {cpu.SamplesPerSecond:F0} | {ocl.EpochSeconds:F2} | {ocl.SamplesPerSecond:F0} | {cpu.EpochSeconds / ocl.EpochSeconds:F1}x | {cpu.ValLoss:F5} | {ocl.ValLoss:F5} |");
            output.WriteLine(line);
            table.AppendLine(line);
        }
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var md = new StringBuilder();
        md.AppendLine("# One training epoch: OpenCL vs CPU");
        md.AppendLine();
        md.AppendLine(inv, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine(inv, $"- OpenCL: {backend.DeviceName}");
        md.AppendLine(inv, $"- CPU: {fixture.Reference.DeviceName}");
        md.AppendLine(inv, $"- Data: {dataName} training images (count per row), validation on the first 1000 test images; seed 7; each preset's own recipe (batch, Adam)");
        md.AppendLine("- Command: `GPUAE_BENCH=1 dotnet test tests/GpuAe.Tests -c Release --filter OpenClEpochBenchmark`");
        md.AppendLine(inv, $"- Each backend trains its first epoch after programs are built/cached (a warm-up epoch on 256 samples runs first). 1-minute load average at the end: {load} (host shared with other jobs).");
        md.AppendLine();
        md.AppendLine("| preset | train samples | batch | CPU s | CPU samples/s | OpenCL s | OpenCL samples/s | OpenCL speed-up | CPU val loss | OpenCL val loss |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        md.Append(table);
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "GpuAe.sln"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        var path = Path.Combine(root, "benchmarks", "results", "opencl-epoch.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, md.ToString());
        output.WriteLine(md.ToString());
    }

    private static EpochMetrics Epoch(IBackend backend, Preset preset, GpuAe.Data.Dataset train, GpuAe.Data.Dataset validation)
    {
        using (var warmData = new DeviceDataset(backend, train.Subset(0, Math.Min(256, train.Count))))
        using (var warm = new Trainer(backend, preset.Model, preset.Recipe, seed: 7))
            warm.TrainEpoch(warmData);
        using var trainOnDevice = new DeviceDataset(backend, train);
        using var validationOnDevice = new DeviceDataset(backend, validation);
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 7);
        return trainer.TrainEpoch(trainOnDevice, validationOnDevice);
    }
}

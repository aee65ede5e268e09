using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Benchmarks;

/// <summary>
/// One training epoch (60,000 MNIST images, the preset's batch size, drop-last; no validation pass) per
/// preset on the CPU backend. Monitoring strategy: each iteration is one whole epoch, after one warm-up
/// epoch (JIT, thread pool, OpenBLAS threads). Compare with benchmarks/compare/pytorch_ae.py on the same machine.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class EpochBenchmarks
{
    private IBackend _backend = null!;
    private Trainer _trainer = null!;
    private DeviceDataset _train = null!;

    /// <summary>Every preset, or the comma-separated list in GPUAE_BENCH_MODELS (a conv epoch takes minutes on 2 cores).</summary>
    public static IEnumerable<string> Models =>
        Environment.GetEnvironmentVariable("GPUAE_BENCH_MODELS")?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? Presets.Names;

    /// <summary>Every CPU GEMM provider that runs here, or the one in GPUAE_CPU_GEMM.</summary>
    public static IEnumerable<string> GemmProviders =>
        Environment.GetEnvironmentVariable("GPUAE_CPU_GEMM") is { Length: > 0 } one ? [one]
        : Avx512Sgemm.IsSupported ? ["avx512", "openblas", "managed"] : ["openblas", "managed"];

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "dense32";

    [ParamsSource(nameof(GemmProviders))]
    public string Gemm { get; set; } = "openblas";

    [GlobalSetup]
    public void Setup()
    {
        var (train, _) = Mnist.Load(MnistLocator.Locate(null, Console.WriteLine));
        _backend = new CpuBackend(Gemm);
        var preset = Presets.Get(Model);
        _trainer = new Trainer(_backend, preset.Model, preset.Recipe, seed: 1);
        _train = new DeviceDataset(_backend, train);
    }

    [Benchmark]
    public double Epoch() => _trainer.TrainEpoch(_train).TrainLoss;

    [GlobalCleanup]
    public void Cleanup()
    {
        _train.Dispose();
        _trainer.Dispose();
        _backend.Dispose();
    }
}

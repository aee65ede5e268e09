using System.Diagnostics;
using BenchmarkDotNet.Running;
using GpuAe.Backends.Cpu;
using GpuAe.Benchmarks;

// Usage:
//   GpuAe.Benchmarks [BenchmarkDotNet args] [--inprocess]   e.g. --filter '*Gemm*' --job short
//   GpuAe.Benchmarks quick [threads]                        Stopwatch GFLOP/s table, seconds not minutes
//   GpuAe.Benchmarks encode-calls [reps]                    C# side of native/bench/bench_encode.c (µs per encode call)
// --inprocess runs benchmarks inside this process (no SDK needed, e.g. on the GPU machine).
if (args.Length > 0 && args[0] == "quick")
{
    Quick.Run(args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount);
    return;
}
if (args.Length > 0 && args[0] == "encode-calls")
{
    EncodeCalls.Run(args.Length > 1 ? int.Parse(args[1]) : 15);
    return;
}
args = args.Select(a => a == "--inprocess" ? "--inProcess" : a).ToArray();
BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);

/// <summary>
/// Best-of-N Stopwatch timing of every shape and provider: a fast check, not a benchmark. Providers
/// alternate rep by rep, so on a shared machine both see the same background load.
/// </summary>
static class Quick
{
    public static void Run(int threads)
    {
        var providers = new List<ICpuGemm> { new ManagedCpuGemm(threads) };
        if (OpenBlas.IsAvailable) providers.Add(new OpenBlasCpuGemm(threads));
        if (OpenBlas.IsAvailable && Avx512Sgemm.IsSupported) providers.Add(new Avx512CpuGemm(threads));
        foreach (var p in providers) Console.WriteLine($"# {p.Name}");
        Console.WriteLine($"| shape | {string.Join(" | ", providers.Select(p => p.Choice + " GFLOP/s"))} |");
        foreach (var shape in GemmShape.All)
        {
            var (a, b, c) = GemmData.Create(shape);
            var best = providers.Select(_ => double.MaxValue).ToArray();
            var total = Stopwatch.StartNew();
            for (int rep = 0; rep < 5 || total.Elapsed.TotalSeconds < 1; rep++)
                for (int i = 0; i < providers.Count; i++)
                {
                    var sw = Stopwatch.StartNew();
                    GemmData.Run(providers[i], shape, a, b, c);
                    best[i] = Math.Min(best[i], sw.Elapsed.TotalSeconds);
                }
            Console.WriteLine($"| {shape} | {string.Join(" | ", best.Select(t => (shape.Flops / t / 1e9).ToString("F1")))} |");
        }
    }
}

using System.Diagnostics;
using BenchmarkDotNet.Running;
using GpuAe.Backends.Cpu;
using GpuAe.Benchmarks;

// Usage:
//   GpuAe.Benchmarks [BenchmarkDotNet args] [--inprocess]   e.g. --filter '*Gemm*' --job short
//   GpuAe.Benchmarks quick [threads]                        Stopwatch GFLOP/s table, seconds not minutes
// --inprocess runs benchmarks inside this process (no SDK needed, e.g. on the GPU machine).
if (args.Length > 0 && args[0] == "quick")
{
    Quick.Run(args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount);
    return;
}
args = args.Select(a => a == "--inprocess" ? "--inProcess" : a).ToArray();
BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);

/// <summary>Best-of-N Stopwatch timing of every shape and provider: a fast sanity check, not a benchmark.</summary>
static class Quick
{
    public static void Run(int threads)
    {
        var providers = new List<ICpuGemm> { new ManagedCpuGemm(threads) };
        if (OpenBlas.IsAvailable) providers.Add(new OpenBlasCpuGemm(threads));
        foreach (var p in providers) Console.WriteLine($"# {p.Name}");
        Console.WriteLine($"| shape | {string.Join(" | ", providers.Select(p => p.Name.Split(' ')[0] + " GFLOP/s"))} |");
        foreach (var shape in GemmShape.All)
        {
            var (a, b, c) = GemmData.Create(shape);
            var rates = providers.Select(p =>
            {
                double best = double.MaxValue;
                var total = Stopwatch.StartNew();
                for (int rep = 0; rep < 3 || total.Elapsed.TotalSeconds < 0.5; rep++)
                {
                    var sw = Stopwatch.StartNew();
                    GemmData.Run(p, shape, a, b, c);
                    best = Math.Min(best, sw.Elapsed.TotalSeconds);
                }
                return shape.Flops / best / 1e9;
            }).ToList();
            Console.WriteLine($"| {shape} | {string.Join(" | ", rates.Select(r => r.ToString("F1")))} |");
        }
    }
}

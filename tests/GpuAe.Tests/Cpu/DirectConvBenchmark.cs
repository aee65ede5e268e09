using System.Diagnostics;
using System.Text;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Backends.Cpu.Kernels;
using Xunit.Abstractions;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// Opt-in measurement behind the CPU's direct-vs-im2col rule (<see cref="DirectConvPolicy"/>): forward and backward
/// time of every conv layer shape of the conv, conv-dense, denoise and conv-transpose presets, both paths, on the
/// float32 CPU backend. Runs only with GPUAE_BENCH_CPU_CONV=1 (skipped otherwise: it takes minutes and its numbers
/// depend on the machine's load); writes a markdown table to the test output and to GPUAE_BENCH_CPU_CONV_OUT if set.
/// The paths alternate and each keeps its fastest of the repetitions, which a shared, loaded machine disturbs least.
/// </summary>
public class DirectConvBenchmark(ITestOutputHelper output)
{
    static ConvGeometry Same(int c, int size) => new(c, size, size, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);

    /// <summary>Preset, layer, geometry, filters, batch, whether the layer computes dx (not the first layer).</summary>
    static readonly (string Preset, string Layer, ConvGeometry G, int Filters, int Batch, bool Data)[] Shapes =
    [
        ("conv", "0", Same(1, 28), 16, 128, false),
        ("conv", "2", Same(16, 14), 8, 128, true),
        ("conv", "4", Same(8, 7), 8, 128, true),
        ("conv", "6", Same(8, 4), 8, 128, true),
        ("conv", "8", Same(8, 8), 8, 128, true),
        ("conv", "10 (valid)", new ConvGeometry(8, 16, 16, 3, 3), 16, 128, true),
        ("conv", "12", Same(16, 28), 1, 128, true),
        ("conv-dense", "2", Same(16, 14), 8, 128, true),
        ("conv-dense", "8", Same(8, 14), 16, 128, true),
        ("conv-dense", "10", Same(16, 28), 1, 128, true),
        ("denoise", "0", Same(1, 28), 32, 128, false),
        ("denoise", "2", Same(32, 14), 32, 128, true),
        ("denoise", "4", Same(32, 7), 32, 128, true),
        ("denoise", "6", Same(32, 14), 32, 128, true),
        ("denoise", "8", Same(32, 28), 32, 128, true),
        ("denoise", "10", Same(32, 28), 1, 128, true),
        ("conv-transpose", "0 (stride 2)", new ConvGeometry(1, 28, 28, 3, 3, 2, 2, 0, 0, 1, 1), 16, 32, false),
        ("conv-transpose", "1 (stride 2)", new ConvGeometry(16, 14, 14, 3, 3, 2, 2, 0, 0, 1, 1), 8, 32, true),
        ("conv-transpose", "4", Same(16, 28), 1, 32, true),
    ];

    [SkippableFact]
    public void Direct_vs_im2col_per_layer_shape()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("GPUAE_BENCH_CPU_CONV") == "1", "opt-in benchmark: set GPUAE_BENCH_CPU_CONV=1");
        int repetitions = int.TryParse(Environment.GetEnvironmentVariable("GPUAE_BENCH_CPU_CONV_REPS"), out int r) ? r : 15;
        var table = new StringBuilder();
        table.AppendLine("| preset | layer | C→F | H×W | k | stride | batch | C·KH·KW | direct fwd ms | direct bwd ms | im2col fwd ms | im2col bwd ms | im2col / direct (fwd+bwd) | rule says direct |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        using var backend = new CpuBackend();
        foreach (var (preset, layer, g, filters, batch, data) in Shapes)
        {
            var workload = new ConvWorkload(backend, g, batch, filters, Activation.Relu, seed: 1);
            double[] best = [double.MaxValue, double.MaxValue, double.MaxValue, double.MaxValue];
            for (int rep = 0; rep < repetitions + 2; rep++)   // two warm-up rounds
            {
                double[] seconds =
                [
                    Time(workload.DirectForward), Time(() => workload.DirectBackward(data)),
                    Time(workload.Im2ColForward), Time(() => workload.Im2ColBackward(data)),
                ];
                if (rep >= 2) for (int i = 0; i < 4; i++) best[i] = Math.Min(best[i], seconds[i]);
            }
            double ratio = (best[2] + best[3]) / (best[0] + best[1]);
            table.AppendLine($"| {preset} | {layer} | {g.Channels}→{filters} | {g.Height}×{g.Width} | {g.KernelH}×{g.KernelW} | {g.StrideH} | {batch} | {g.PatchSize} | " +
                $"{best[0] * 1e3:F2} | {best[1] * 1e3:F2} | {best[2] * 1e3:F2} | {best[3] * 1e3:F2} | {ratio:F2} | {(DirectConvPolicy.IsFasterThanIm2Col(g, filters) ? "yes" : "no")} |");
        }
        output.WriteLine(table.ToString());
        if (Environment.GetEnvironmentVariable("GPUAE_BENCH_CPU_CONV_OUT") is { Length: > 0 } path) File.WriteAllText(path, table.ToString());
    }

    static double Time(Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalSeconds;
    }
}

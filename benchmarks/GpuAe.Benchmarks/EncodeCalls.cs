using System.Diagnostics;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Benchmarks;

/// <summary>
/// The C# side of native/bench/bench_encode.c: encoding 1 and 256 samples with dense32 on the CPU backend through the
/// C# API (a data set of the caller's samples, Trainer.Encode), timed as the C program times gpuae_model_encode: the
/// median over repetitions of a timed loop, after a warm-up. The difference is what the C boundary costs per call.
/// </summary>
internal static class EncodeCalls
{
    public static void Run(int reps)
    {
        var start = Stopwatch.StartNew();
        using var backend = new CpuBackend();
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, 1);
        var input = new float[256 * 784];
        for (int i = 0; i < input.Length; i++) input[i] = (uint)((ulong)i * 2654435761u % 1000) / 1000f;
        Encode(trainer, input, 1);
        Console.WriteLine($"process start to the first code (backend, dense32, encode 1): {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:F1} ms; " +
                          $"from Main: {start.Elapsed.TotalMilliseconds:F1} ms");
        foreach (var (samples, calls) in new[] { (1, 2000), (256, 100) })
        {
            var times = new double[reps];
            for (int rep = -1; rep < reps; rep++) // rep -1: warm-up
            {
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++) Encode(trainer, input, samples);
                if (rep >= 0) times[rep] = watch.Elapsed.TotalSeconds / calls;
            }
            Array.Sort(times);
            Console.WriteLine($"Trainer.Encode, {samples} sample{(samples == 1 ? "" : "s")}: {times[reps / 2] * 1e6:F3} us per call " +
                              $"(median of {reps} x {calls} calls; fastest rep {times[0] * 1e6:F3} us)");
        }
    }

    /// <summary>What a C# caller with samples in an array does to get their codes.</summary>
    private static float[] Encode(Trainer trainer, float[] input, int samples)
    {
        using var data = new DeviceDataset(trainer.Backend, new Dataset("input", input.AsSpan(0, samples * 784).ToArray(), samples, 1, 28, 28));
        return trainer.Encode(data, samples);
    }
}

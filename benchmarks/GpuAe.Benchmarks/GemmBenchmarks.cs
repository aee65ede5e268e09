using BenchmarkDotNet.Attributes;
using GpuAe.Backends.Cpu;

namespace GpuAe.Benchmarks;

/// <summary>Float GEMM on the CPU: managed SIMD vs OpenBLAS vs GpuAe's AVX-512 kernel (where the CPU has it), same
/// shapes, same thread count.</summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    /// <summary>Shapes to time; see <see cref="GemmShape.All"/>.</summary>
    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.All[0];

    /// <summary>The providers that run here.</summary>
    public static IEnumerable<string> Providers => Avx512Sgemm.IsSupported ? ["managed", "openblas", "avx512"] : ["managed", "openblas"];

    [ParamsSource(nameof(Providers))]
    public string Provider { get; set; } = "managed";

    ICpuGemm gemm = null!;
    float[] a = [], b = [], c = [];

    [GlobalSetup]
    public void Setup()
    {
        gemm = CpuGemm.Select(Provider, Environment.ProcessorCount);
        (a, b, c) = GemmData.Create(Shape);
    }

    [Benchmark]
    public void Gemm() => GemmData.Run(gemm, Shape, a, b, c);
}

/// <summary>Operands and the call shared by the BenchmarkDotNet and the quick runs.</summary>
static class GemmData
{
    public static (float[] A, float[] B, float[] C) Create(GemmShape s)
    {
        var random = new System.Random(42);
        float[] Fill(int length)
        {
            var x = new float[length];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
            return x;
        }
        return (Fill(s.M * s.K), Fill(s.K * s.N), new float[s.M * s.N]);
    }

    public static void Run(ICpuGemm gemm, GemmShape s, float[] a, float[] b, float[] c) =>
        gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K,
            1f, a, 0, s.TransA ? s.M : s.K, b, 0, s.TransB ? s.K : s.N, 0f, c, 0, s.N);
}

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GpuAe.Backends.Cpu;

/// <summary>Picks the CPU GEMM provider.</summary>
internal static class CpuGemm
{
    /// <summary>Environment variable that overrides the default choice: auto | avx512 | openblas | managed.</summary>
    public const string EnvironmentVariable = "GPUAE_CPU_GEMM";

    /// <summary>
    /// Returns the provider named by <paramref name="preference"/>, else by <see cref="EnvironmentVariable"/>, else
    /// (auto) the fastest that runs here: "avx512" (GpuAe's AVX-512 float kernel, OpenBLAS for the rest) on AVX-512
    /// CPUs with OpenBLAS, "openblas" with OpenBLAS only, "managed" without it. A named choice that cannot run here
    /// is an error, not a silent fallback. <paramref name="threads"/> &lt;= 0 means all cores.
    /// </summary>
    public static ICpuGemm Select(string? preference, int threads = 0)
    {
        string choice = (preference ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "auto")
            .Trim().ToLowerInvariant();
        string source = preference is null ? EnvironmentVariable : "argument";
        int count = threads > 0 ? threads : Environment.ProcessorCount;
        return choice switch
        {
            "" or "auto" => !OpenBlas.IsAvailable ? new ManagedCpuGemm(count)
                : Avx512Sgemm.IsSupported ? new Avx512CpuGemm(count) : new OpenBlasCpuGemm(count),
            "managed" => new ManagedCpuGemm(count),
            "openblas" => OpenBlas.IsAvailable ? new OpenBlasCpuGemm(count) : throw MissingOpenBlas("openblas", source),
            "avx512" => !OpenBlas.IsAvailable ? throw MissingOpenBlas("avx512", source)
                : Avx512Sgemm.IsSupported ? new Avx512CpuGemm(count)
                : throw new InvalidOperationException(
                    $"CPU GEMM 'avx512' was requested ({source}) but this CPU has no AVX-512 (or the runtime does not use " +
                    "512-bit vectors, e.g. DOTNET_PreferredVectorBitWidth=256). Choose 'openblas' or 'managed'."),
            _ => throw new ArgumentException(
                $"Unknown CPU GEMM '{choice}' ({source}); expected auto, avx512, openblas or managed."),
        };
    }

    /// <summary>The error for a <paramref name="choice"/> that needs OpenBLAS where none loads.</summary>
    static InvalidOperationException MissingOpenBlas(string choice, string source) => new(
            $"CPU GEMM '{choice}' was requested ({source}) but no OpenBLAS library loads (tried libopenblas.so.0, " +
            "libopenblas.so, libopenblasp.so.0, openblas.dll, libcblas.so.3). Install libopenblas0 or choose 'managed'.");
}

/// <summary>Names the SIMD instruction set the managed kernels run on, for provider names.</summary>
internal static class CpuFeatures
{
    public static string VectorIsa =>
        Avx512F.IsSupported ? "AVX-512"
        : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA"
        : AdvSimd.IsSupported ? "NEON"
        : Vector128.IsHardwareAccelerated ? "SIMD128" : "scalar";
}

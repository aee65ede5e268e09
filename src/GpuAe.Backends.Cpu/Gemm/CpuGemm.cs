using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GpuAe.Backends.Cpu;

/// <summary>Picks the CPU GEMM provider.</summary>
internal static class CpuGemm
{
    /// <summary>Environment variable that overrides the default choice: managed | openblas | auto.</summary>
    public const string EnvironmentVariable = "GPUAE_CPU_GEMM";

    /// <summary>
    /// Returns the provider named by <paramref name="preference"/>, else by <see cref="EnvironmentVariable"/>,
    /// else OpenBLAS when it loads and the managed GEMM otherwise. "openblas" when OpenBLAS is missing
    /// is an error, not a silent fallback. <paramref name="threads"/> &lt;= 0 means all cores.
    /// </summary>
    public static ICpuGemm Select(string? preference, int threads = 0)
    {
        string choice = (preference ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "auto")
            .Trim().ToLowerInvariant();
        int count = threads > 0 ? threads : Environment.ProcessorCount;
        return choice switch
        {
            "" or "auto" => OpenBlas.IsAvailable ? new OpenBlasCpuGemm(count) : new ManagedCpuGemm(count),
            "managed" => new ManagedCpuGemm(count),
            "openblas" => OpenBlas.IsAvailable ? new OpenBlasCpuGemm(count)
                : throw new InvalidOperationException(
                    $"CPU GEMM 'openblas' was requested ({(preference is null ? EnvironmentVariable : "argument")}) " +
                    "but no OpenBLAS library loads (tried libopenblas.so.0, libopenblas.so, libopenblasp.so.0, " +
                    "openblas.dll, libcblas.so.3). Install libopenblas0 or choose 'managed'."),
            _ => throw new ArgumentException(
                $"Unknown CPU GEMM '{choice}' ({(preference is null ? EnvironmentVariable : "argument")}); expected managed, openblas or auto."),
        };
    }
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

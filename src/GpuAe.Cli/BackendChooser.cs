using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Backends.Cuda;
using GpuAe.Backends.OpenCL;

namespace GpuAe.Cli;

/// <summary>Creates the backend a user asked for; "auto" takes the best one that works here, CPU last.
/// One policy for every host: the command line and libgpuae (src/GpuAe.Native compiles this file too).</summary>
internal static class BackendChooser
{
    public static readonly string[] Names = ["auto", "cpu", "opencl", "cuda"];

    /// <summary>The backend and, for auto, why the better ones were passed over.</summary>
    /// <param name="device">OpenCL device selector (index, "P:D", "gpu", "cpu" or part of a name) or CUDA ordinal.</param>
    /// <param name="precision">CUDA GEMM arithmetic: "fp32" (default) or "tf32" (tensor cores, sm_80+).</param>
    public static (IBackend Backend, IReadOnlyList<string> Notes) Create(string name, string? device = null, string? cpuGemm = null, string? precision = null)
    {
        var cudaOptions = new CudaOptions { Precision = ParsePrecision(precision) };
        var notes = new List<string>();
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                return (Cpu(cpuGemm), notes);
            case "opencl":
                return OpenClBackend.TryCreate(device, out var opencl, out string reason)
                    ? (opencl!, notes)
                    : throw new BackendUnavailableException($"opencl: {reason}");
            case "cuda":
                return CudaBackend.TryCreate(CudaOrdinal(device), cudaOptions, out var cuda, out string why)
                    ? (cuda!, notes)
                    : throw new BackendUnavailableException($"cuda: {why}");
            case "auto":
                if (CudaBackend.TryCreate(CudaOrdinal(device), cudaOptions, out var gpu0, out string cudaWhy)) return (gpu0!, notes);
                notes.Add($"cuda: {cudaWhy}");
                if (TryOpenClGpu(device, notes) is { } gpu) return (gpu, notes);
                return (Cpu(cpuGemm), notes);
            default:
                throw new ArgumentException($"unknown backend '{name}'; choose one of {string.Join(", ", Names)}");
        }
    }

    /// <summary>The CPU backend; a GEMM that cannot be had (--cpu-gemm openblas without OpenBLAS) is a user error, not a crash.</summary>
    private static CpuBackend Cpu(string? gemm)
    {
        try
        {
            return new CpuBackend(gemm);
        }
        catch (InvalidOperationException e)
        {
            throw new BackendUnavailableException($"cpu: {e.Message}");
        }
    }

    private static int CudaOrdinal(string? device) =>
        device is null or "gpu" or "auto" ? 0
        : int.TryParse(device, out int ordinal) && ordinal >= 0 ? ordinal
        : throw new ArgumentException($"--device {device}: a CUDA device is chosen by its ordinal (0, 1, ...)");

    private static GemmPrecision ParsePrecision(string? precision) => precision?.ToLowerInvariant() switch
    {
        null or "fp32" => GemmPrecision.Fp32,
        "tf32" => GemmPrecision.Tf32,
        _ => throw new ArgumentException($"--precision {precision}: expected fp32 or tf32"),
    };

    /// <summary>An OpenCL GPU when there is one. OpenCL on a CPU device (PoCL) is passed over: the CPU
    /// backend with OpenBLAS is faster on the same cores (benchmarks/results/opencl-epoch.md).</summary>
    private static IBackend? TryOpenClGpu(string? device, List<string> notes)
    {
        var devices = OpenClBackend.ListDevices(out string? problem);
        if (devices.Count == 0)
        {
            notes.Add($"opencl: {problem ?? "no device"}");
            return null;
        }
        if (!devices.Any(d => d.Type == "GPU"))
        {
            notes.Add($"opencl: only CPU devices ({string.Join(", ", devices.Select(d => d.Name))}); the CPU backend is faster there");
            return null;
        }
        if (OpenClBackend.TryCreate(device ?? "gpu", out var backend, out string reason)) return backend;
        notes.Add($"opencl: {reason}");
        return null;
    }
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Backends.OpenCL;

namespace GpuAe.Cli;

/// <summary>Creates the backend a user asked for; "auto" takes the best one that works here, CPU last.</summary>
internal static class BackendChooser
{
    public static readonly string[] Names = ["auto", "cpu", "opencl", "cuda"];

    /// <summary>The backend and, for auto, why the better ones were passed over.</summary>
    /// <param name="device">OpenCL device selector: index, "P:D", "gpu", "cpu" or part of a name.</param>
    public static (IBackend Backend, IReadOnlyList<string> Notes) Create(string name, string? device = null, string? cpuGemm = null)
    {
        var notes = new List<string>();
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                return (new CpuBackend(cpuGemm), notes);
            case "opencl":
                return OpenClBackend.TryCreate(device, out var opencl, out string reason)
                    ? (opencl!, notes)
                    : throw new BackendUnavailableException($"opencl: {reason}");
            case "cuda":
                throw new BackendUnavailableException("cuda: the CUDA backend is not part of this build yet; use --backend opencl or cpu");
            case "auto":
                notes.Add("cuda: not part of this build yet");
                if (TryOpenClGpu(device, notes) is { } gpu) return (gpu, notes);
                return (new CpuBackend(cpuGemm), notes);
            default:
                throw new ArgumentException($"unknown backend '{name}'; choose one of {string.Join(", ", Names)}");
        }
    }

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

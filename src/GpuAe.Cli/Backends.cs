using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Cli;

/// <summary>Creates the backend a user asked for; "auto" takes the best one that works here, CPU last.</summary>
internal static class BackendChooser
{
    public static readonly string[] Names = ["auto", "cpu", "opencl", "cuda"];

    /// <summary>The backend and, for auto, the reasons the better ones were passed over.</summary>
    public static (IBackend Backend, IReadOnlyList<string> Notes) Create(string name, string? cpuGemm = null)
    {
        var notes = new List<string>();
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                return (new CpuBackend(cpuGemm), notes);
            case "cuda":
                throw new BackendUnavailableException("cuda: the CUDA backend is not part of this build yet; use --backend cpu");
            case "opencl":
                throw new BackendUnavailableException("opencl: the OpenCL backend is not part of this build yet; use --backend cpu");
            case "auto":
                notes.Add("cuda: not part of this build yet");
                notes.Add("opencl: not part of this build yet");
                return (new CpuBackend(cpuGemm), notes);
            default:
                throw new ArgumentException($"unknown backend '{name}'; choose one of {string.Join(", ", Names)}");
        }
    }
}

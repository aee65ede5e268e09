namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>How the CPU backend computes convolutions: by the measured rule, always directly, or always by im2col + GEMM.</summary>
internal enum ConvolutionPath { Auto, Direct, Im2Col }

/// <summary>Chooses between the direct convolution (<see cref="DirectConvKernels"/>) and im2col + GEMM on the CPU.</summary>
internal static class DirectConvPolicy
{
    /// <summary>Environment variable that forces a path when the backend is built without one: auto | direct | im2col.</summary>
    public const string EnvironmentVariable = "GPUAE_CPU_CONV";

    /// <summary>The path named by <paramref name="preference"/>, else by <see cref="EnvironmentVariable"/>, else auto.</summary>
    public static ConvolutionPath Select(string? preference)
    {
        string choice = (preference ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "auto").Trim().ToLowerInvariant();
        return choice switch
        {
            "" or "auto" => ConvolutionPath.Auto,
            "direct" => ConvolutionPath.Direct,
            "im2col" => ConvolutionPath.Im2Col,
            _ => throw new ArgumentException(
                $"Unknown CPU convolution path '{choice}' ({(preference is null ? EnvironmentVariable : "argument")}); expected auto, direct or im2col."),
        };
    }

    public static bool PrefersDirect(ConvolutionPath path, ConvGeometry g, int filters) => path switch
    {
        ConvolutionPath.Direct => true,
        ConvolutionPath.Im2Col => false,
        _ => IsFasterThanIm2Col(g, filters),
    };

    /// <summary>The measured rule (benchmarks/results/cpu-direct-conv.md): provisional until measured.</summary>
    public static bool IsFasterThanIm2Col(ConvGeometry g, int filters) => g.StrideH == 1 && g.StrideW == 1;
}

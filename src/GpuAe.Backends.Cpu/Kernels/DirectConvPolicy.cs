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

    /// <summary>Largest C·KH·KW·filters measured: denoise's 32→32 3x3 convolutions, where direct still won 1.4-2.9x.</summary>
    public const int LargestMeasuredWork = 32 * 3 * 3 * 32;

    /// <summary>
    /// The measured rule (benchmarks/results/cpu-direct-conv.md, forward + backward per layer shape of the conv,
    /// conv-dense, denoise and conv-transpose presets): direct for unit strides, where it won on every shape (1.4x
    /// to 28x: the GEMMs of few filters are GEMVs and im2col/col2im move the column matrix), as long as the layer is no
    /// bigger than measured or has so few filters that its GEMM is a matrix-vector product; im2col + GEMM for other
    /// strides (the direct path's plain loops lost 2.7-33x there) and for larger layers, where OpenBLAS's blocking gains.
    /// </summary>
    public static bool IsFasterThanIm2Col(ConvGeometry g, int filters) =>
        g.StrideH == 1 && g.StrideW == 1 && (filters <= 4 || (long)g.PatchSize * filters <= LargestMeasuredWork);
}

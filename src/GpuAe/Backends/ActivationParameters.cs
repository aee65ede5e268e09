namespace GpuAe.Backends;

/// <summary>
/// The parameters of the parameterised activations, with PyTorch's meaning: LeakyReLU's
/// <paramref name="NegativeSlope"/> (nn.LeakyReLU negative_slope), ELU's <paramref name="Alpha"/> (nn.ELU alpha),
/// Softplus' <paramref name="Beta"/> and <paramref name="Threshold"/> (nn.Softplus: log(1 + exp(beta x)) / beta,
/// x itself where beta x &gt; threshold). The other activations ignore them. <see cref="Default"/> holds PyTorch's
/// defaults, which are also the fixed parameters of the activations fused into dense and conv layers.
/// </summary>
/// <remarks>Backward kernels work from the output y (see <see cref="Activation"/>), which tells the branch apart only
/// for NegativeSlope &gt;= 0 and Alpha &gt;= 0; <see cref="Check"/> enforces that (and Beta &gt; 0). For Softplus an output
/// with beta·y in (threshold, log1p(exp(threshold))] is taken as the linear branch: a gradient of 1 where PyTorch's is
/// sigmoid(beta x) ≥ 1 - exp(-threshold) (2e-9 at the default threshold 20).</remarks>
public readonly record struct ActivationParameters(float NegativeSlope, float Alpha, float Beta, float Threshold)
{
    /// <summary>PyTorch's defaults: slope 0.01, alpha 1, beta 1, threshold 20.</summary>
    public static ActivationParameters Default => new(ActivationConstants.LeakyReluSlope, ActivationConstants.EluAlpha,
        ActivationConstants.SoftplusBeta, ActivationConstants.SoftplusThreshold);

    /// <summary>Null when the parameters are usable (finite, slope and alpha &gt;= 0, beta &gt; 0), else what is wrong.</summary>
    public string? Problem()
    {
        if (!float.IsFinite(NegativeSlope) || NegativeSlope < 0)
            return $"negative_slope must be a finite number >= 0 (the backward pass reads the output), got {NegativeSlope:R}";
        if (!float.IsFinite(Alpha) || Alpha < 0)
            return $"alpha must be a finite number >= 0 (the backward pass reads the output), got {Alpha:R}";
        if (!float.IsFinite(Beta) || Beta <= 0) return $"beta must be a finite number > 0, got {Beta:R}";
        if (float.IsNaN(Threshold)) return "threshold must be a number, got NaN";
        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the kernel when <see cref="Problem"/> finds one.</summary>
    public void Check(string kernel)
    {
        if (Problem() is { } problem) throw new ArgumentException($"{kernel}: {problem}");
    }
}

namespace GpuAe.Backends;

/// <summary>Activity penalties on a code h [batch, units] (<see cref="IBackend.ActivityPenalty"/>).</summary>
public enum ActivityPenaltyKind
{
    /// <summary>strength/batch · Σ|h| (Keras' <c>activity_regularizer=l1(strength)</c>).</summary>
    L1,
    /// <summary>strength · Σ_j KL(ρ‖ρ̂_j), ρ̂_j the batch-mean activation of unit j (a sigmoid code).</summary>
    KlSparsity,
}

/// <summary>Constants the penalty kernels share with their callers.</summary>
public static class PenaltyConstants
{
    /// <summary>KL sparsity clamps ρ̂ to [KlClamp, 1 - KlClamp]: a dead or saturated unit gives a large but finite penalty.</summary>
    public const float KlClamp = 1e-6f;
}

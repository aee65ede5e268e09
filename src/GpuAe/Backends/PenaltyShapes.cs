namespace GpuAe.Backends;

/// <summary>Argument validation shared by every backend's penalty kernels, so a bad call fails the same way everywhere.</summary>
public static class PenaltyShapes
{
    public static void CheckActivity(ActivityPenaltyKind kind, int batch, int units, float strength, float rho)
    {
        if (batch < 0 || units < 0) throw new ArgumentException($"activity penalty: negative size batch={batch} units={units}");
        CheckStrength("activity penalty", strength);
        if (kind == ActivityPenaltyKind.KlSparsity && !(rho > 0f && rho < 1f))
            throw new ArgumentOutOfRangeException(nameof(rho), rho, "KL sparsity: the target activation rho must lie in (0, 1)");
        if (kind is not (ActivityPenaltyKind.L1 or ActivityPenaltyKind.KlSparsity))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activity penalty");
    }

    public static void CheckContractive(Activation activation, int batch, int units, int inputs, float strength)
    {
        if (batch < 0 || units < 0 || inputs < 0)
            throw new ArgumentException($"contractive penalty: negative size batch={batch} units={units} inputs={inputs}");
        CheckStrength("contractive penalty", strength);
        if (activation is not (Activation.Sigmoid or Activation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "the contractive penalty has a closed form for sigmoid and relu codes only");
    }

    private static void CheckStrength(string what, float strength)
    {
        if (!(strength >= 0f) || !float.IsFinite(strength))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, $"{what}: the strength must be a finite number >= 0");
    }
}

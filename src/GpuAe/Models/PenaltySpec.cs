using System.Globalization;
using System.Text.Json.Serialization;
using GpuAe.Backends;

namespace GpuAe.Models;

/// <summary>
/// A regularisation penalty on the code (the output of <see cref="ModelSpec.CodeLayer"/>), part of the model spec.
/// Its value is added to the training loss (and so to the reported train loss); the evaluation loss stays the pure
/// reconstruction loss, as Keras 1 reported it (the regularizers applied in the training phase only).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ActivityPenaltySpec), "activity")]
[JsonDerivedType(typeof(ContractivePenaltySpec), "contractive")]
public abstract record PenaltySpec
{
    /// <summary>Throws a <see cref="ModelSpecException"/> naming the model when the numbers cannot work.</summary>
    public abstract void Validate(string model);

    protected static void CheckWeight(string model, string what, float weight)
    {
        if (!(weight >= 0f) || !float.IsFinite(weight))
            throw new ModelSpecException(string.Create(CultureInfo.InvariantCulture,
                $"{model}: the {what} weight must be a finite number >= 0, got {weight}"));
    }
}

/// <summary>
/// Activity penalty on the code h. <see cref="ActivityPenaltyKind.L1"/>: Weight · Σ|h| / batch, i.e. Keras'
/// <c>activity_regularizer=regularizers.l1(Weight)</c> (per sample, averaged over the batch; added to the batch-mean,
/// per-pixel-mean reconstruction loss). <see cref="ActivityPenaltyKind.KlSparsity"/>: Weight (β) · Σ_j KL(ρ‖ρ̂_j) with
/// ρ̂_j the batch-mean activation of code unit j; needs a sigmoid code and <see cref="Rho"/> in (0, 1).
/// </summary>
public sealed record ActivityPenaltySpec(ActivityPenaltyKind Kind, float Weight,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Rho = null) : PenaltySpec
{
    public override void Validate(string model)
    {
        CheckWeight(model, Kind == ActivityPenaltyKind.L1 ? "l1 activity penalty" : "kl sparsity", Weight);
        if (Kind == ActivityPenaltyKind.KlSparsity && !(Rho is > 0f and < 1f))
            throw new ModelSpecException(string.Create(CultureInfo.InvariantCulture,
                $"{model}: kl sparsity needs a target activation rho in (0, 1), got {(Rho is { } r ? r.ToString(CultureInfo.InvariantCulture) : "none")}"));
        if (Kind == ActivityPenaltyKind.L1 && Rho is not null)
            throw new ModelSpecException($"{model}: rho belongs to kl sparsity, not to the l1 activity penalty");
    }

    public override string ToString() => Kind == ActivityPenaltyKind.L1
        ? string.Create(CultureInfo.InvariantCulture, $"l1 activity {Weight:g3}")
        : string.Create(CultureInfo.InvariantCulture, $"kl sparsity rho {Rho:g3} beta {Weight:g3}");
}

/// <summary>
/// Contractive penalty Weight (λ) · ‖J_f(x)‖²_F of the encoder, averaged over the batch, in closed form for a dense
/// code layer with a sigmoid or ReLU activation (Rifai et al. 2011).
/// </summary>
public sealed record ContractivePenaltySpec(float Weight) : PenaltySpec
{
    public override void Validate(string model) => CheckWeight(model, "contractive penalty", Weight);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"contractive {Weight:g3}");
}

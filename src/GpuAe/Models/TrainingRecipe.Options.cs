using System.Globalization;
using System.Text.Json.Serialization;
using GpuAe.Backends;

namespace GpuAe.Models;

/// <summary>Which library's defaults fill the optimizer hyper-parameters a recipe leaves unset.</summary>
public enum OptimizerDefaults
{
    /// <summary>Keras' (and GpuAe's from the start): eps 1e-7, RMSprop rho 0.9.</summary>
    Keras,
    /// <summary>torch.optim's: eps 1e-8, RMSprop alpha 0.99, AdamW weight decay 0.01 (see <see cref="TrainingRecipe.WithDefaultWeightDecay"/>).</summary>
    Pytorch,
}

/// <summary>
/// Optimizer hyper-parameters, learning-rate schedule and early stopping of a recipe. Every one is optional: unset
/// (null) optimizer values come from <see cref="OptimizerDefaults"/>, and a recipe without them (every recipe written
/// before they existed) trains as it always did. In JSON only when set, so old recipes read and write unchanged.
/// </summary>
public sealed partial record TrainingRecipe
{
    /// <summary>The family whose defaults fill the unset hyper-parameters (default: Keras, today's values).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public OptimizerDefaults OptimizerDefaults { get; init; }

    /// <summary>Adam/AdamW beta1 (default 0.9).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Beta1 { get; init; }

    /// <summary>Adam/AdamW beta2 (default 0.999).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Beta2 { get; init; }

    /// <summary>Adam/AdamW/RMSprop epsilon (default 1e-7 Keras, 1e-8 PyTorch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Epsilon { get; init; }

    /// <summary>RMSprop's smoothing constant, PyTorch's alpha (default 0.9 Keras, 0.99 PyTorch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Rho { get; init; }

    /// <summary>SGD or RMSprop momentum (default 0.9 for the momentum and nesterov optimizers, else 0); SGD with a
    /// momentum above 0 is the momentum optimizer, and the momentum optimizer with 0 is plain SGD (as in PyTorch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Momentum { get; init; }

    /// <summary>SGD momentum dampening (default 0).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Dampening { get; init; }

    /// <summary>Centred RMSprop (default false).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Centered { get; init; }

    /// <summary>Learning-rate schedule, stepped once per epoch (none by default: a constant rate).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Stop when the validation loss has not improved for a while (none by default).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EarlyStoppingSpec? EarlyStopping { get; init; }

    /// <summary>The learning rate as the decimal the recipe holds (0.001, not the float nearest to it widened), the
    /// base of every schedule; what PyTorch's Python float would be.</summary>
    [JsonIgnore]
    public double InitialLearningRate => AsWritten(LearningRate);

    /// <summary>A float field as the shortest decimal that reads back as it, in double.</summary>
    internal static double AsWritten(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The optimizer step <paramref name="step"/> (1-based) at <paramref name="learningRate"/>, with every
    /// hyper-parameter resolved: the recipe's, else its <see cref="OptimizerDefaults"/> family's.</summary>
    public OptimizerStep OptimizerStepAt(double learningRate, int step)
    {
        bool torch = OptimizerDefaults == OptimizerDefaults.Pytorch;
        var kind = Optimizer;
        double momentum = Momentum ?? (kind is OptimizerKind.Momentum or OptimizerKind.Nesterov ? 0.9 : 0);
        // torch.optim.SGD: one rule, momentum 0 meaning none
        if (kind == OptimizerKind.Sgd && momentum != 0) kind = OptimizerKind.Momentum;
        else if (kind == OptimizerKind.Momentum && momentum == 0) kind = OptimizerKind.Sgd;
        return new OptimizerStep(kind, learningRate, step,
            Beta1: Beta1 ?? 0.9, Beta2: Beta2 ?? 0.999, Epsilon: Epsilon ?? (torch ? 1e-8 : 1e-7),
            Momentum: momentum, Rho: Rho ?? (torch ? 0.99 : 0.9), WeightDecay: AsWritten(WeightDecay),
            Dampening: Dampening ?? 0, Centered: Centered ?? false);
    }

    /// <summary>This recipe with PyTorch AdamW's weight decay 0.01 when it is AdamW under <see cref="OptimizerDefaults.Pytorch"/>
    /// and <paramref name="weightDecayGiven"/> is false (<see cref="WeightDecay"/> has no "unset" of its own).</summary>
    public TrainingRecipe WithDefaultWeightDecay(bool weightDecayGiven) =>
        !weightDecayGiven && Optimizer == OptimizerKind.AdamW && OptimizerDefaults == OptimizerDefaults.Pytorch ? this with { WeightDecay = 0.01f } : this;

    /// <summary>This recipe with a cosine schedule's unset T_max fixed to <see cref="Epochs"/> (so a resumed run, whose
    /// total may change, keeps the period it started with).</summary>
    public TrainingRecipe WithResolvedSchedule() =>
        Schedule is CosineLrSchedule { TMax: null } cosine ? this with { Schedule = cosine with { TMax = Math.Max(Epochs, 1) } } : this;

    /// <summary>What is wrong with the recipe's numbers, one message per problem naming the field (snake_case, as in
    /// JSON and close to the CLI option) and what was expected; empty when it can train.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool ok, string field, object? value, string expected)
        {
            if (!ok) problems.Add(string.Create(CultureInfo.InvariantCulture, $"{field} = {value} is not {expected}"));
        }
        void Only(bool applies, string field, object? value)
        {
            if (value is not null && !applies)
                problems.Add($"{field} does not apply to the {Optimizer.ToString().ToLowerInvariant()} optimizer");
        }
        static bool Finite(double? v, double min, double max, bool maxOpen = false) =>
            v is not { } x || (double.IsFinite(x) && x >= min && (maxOpen ? x < max : x <= max));
        Check(Enum.IsDefined(Optimizer), "optimizer", Optimizer, "a known optimizer");
        Check(Enum.IsDefined(OptimizerDefaults), "optimizer_defaults", OptimizerDefaults, "keras or pytorch");
        Check(float.IsFinite(LearningRate) && LearningRate > 0, "learning_rate", LearningRate, "a positive finite number");
        Check(BatchSize > 0, "batch_size", BatchSize, "a positive whole number");
        Check(Epochs >= 0, "epochs", Epochs, "a whole number >= 0");
        Check(float.IsFinite(WeightDecay) && WeightDecay >= 0, "weight_decay", WeightDecay, "a finite number >= 0");
        Check(float.IsFinite(Noise) && Noise >= 0, "noise", Noise, "a finite number >= 0");
        bool adam = Optimizer is OptimizerKind.Adam or OptimizerKind.AdamW, rms = Optimizer == OptimizerKind.RmsProp;
        bool sgd = Optimizer is OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov;
        Only(adam, "beta1", Beta1);
        Only(adam, "beta2", Beta2);
        Only(adam || rms, "epsilon", Epsilon);
        Only(rms, "rho", Rho);
        Only(rms, "centered", Centered);
        Only(sgd || rms, "momentum", Momentum);
        Only(sgd, "dampening", Dampening);
        Check(Finite(Beta1, 0, 1, maxOpen: true), "beta1", Beta1, "in [0, 1)");
        Check(Finite(Beta2, 0, 1, maxOpen: true), "beta2", Beta2, "in [0, 1)");
        Check(Finite(Epsilon, 0, double.MaxValue), "epsilon", Epsilon, "a finite number >= 0");
        Check(Finite(Rho, 0, 1), "rho", Rho, "in [0, 1]");
        Check(Finite(Momentum, 0, double.MaxValue), "momentum", Momentum, "a finite number >= 0");
        Check(Finite(Dampening, 0, 1), "dampening", Dampening, "in [0, 1]");
        if (Optimizer == OptimizerKind.Nesterov && (Momentum == 0 || (Dampening ?? 0) != 0))
            problems.Add("the nesterov optimizer needs a momentum above 0 and dampening 0 (as torch.optim.SGD)");
        if (Schedule is not null) problems.AddRange(Schedule.Problems());
        if (EarlyStopping is { } stop)
        {
            Check(stop.Patience >= 1, "early_stopping.patience", stop.Patience, "a whole number >= 1");
            Check(double.IsFinite(stop.MinDelta) && stop.MinDelta >= 0, "early_stopping.min_delta", stop.MinDelta, "a finite number >= 0");
        }
        return problems;
    }
}

/// <summary>Early stopping on the validation loss (Keras' EarlyStopping on val_loss): an epoch improves when its loss is
/// below the best so far minus <paramref name="MinDelta"/>; training stops after <paramref name="Patience"/> epochs in a
/// row without improvement. The best epoch's weights are kept (the CLI writes them to best.safetensors).</summary>
public sealed record EarlyStoppingSpec(int Patience, double MinDelta = 0);

/// <summary>A learning-rate schedule, stepped once after every epoch, with PyTorch's semantics (its recursive forms,
/// in double). The text form (<see cref="Parse"/>) is the CLI's --lr-schedule.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StepLrSchedule), "step")]
[JsonDerivedType(typeof(CosineLrSchedule), "cosine")]
[JsonDerivedType(typeof(PlateauLrSchedule), "plateau")]
public abstract record LearningRateSchedule
{
    /// <summary>What is wrong with the numbers (empty when fine); messages name the field.</summary>
    public abstract IEnumerable<string> Problems();

    /// <summary>The CLI form: step:SIZE[:GAMMA] | cosine[:TMAX[:ETA_MIN]] | plateau[:FACTOR[:PATIENCE]].</summary>
    public const string Syntax = "step:SIZE[:GAMMA] | cosine[:TMAX[:ETA_MIN]] | plateau[:FACTOR[:PATIENCE]]";

    /// <summary>Parses the text form (<see cref="Syntax"/>); <paramref name="option"/> names the input in errors.</summary>
    /// <exception cref="ArgumentException">Malformed text or bad numbers; one line naming the option.</exception>
    public static LearningRateSchedule Parse(string text, string option = "--lr-schedule")
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Split(':');
        ArgumentException Bad(string why) => new($"{option} {text}: {why} (expected {Syntax})");
        double Number(int i, double fallback) => i >= parts.Length ? fallback
            : double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw Bad($"'{parts[i]}' is not a number");
        int Whole(int i, int? fallback) => i >= parts.Length ? fallback ?? throw Bad("a value is missing")
            : int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw Bad($"'{parts[i]}' is not a whole number");
        (LearningRateSchedule schedule, int most) = parts[0].ToLowerInvariant() switch
        {
            "step" => ((LearningRateSchedule)new StepLrSchedule(Whole(1, null), Number(2, 0.1)), 3),
            "cosine" => (new CosineLrSchedule(parts.Length > 1 ? Whole(1, null) : null, Number(2, 0)), 3),
            "plateau" => (new PlateauLrSchedule(Number(1, 0.1), Whole(2, 10)), 3),
            _ => throw Bad($"unknown schedule '{parts[0]}'"),
        };
        if (parts.Length > most) throw Bad("too many values");
        if (schedule.Problems().FirstOrDefault() is { } problem) throw Bad(problem);
        return schedule;
    }
}

/// <summary>PyTorch's StepLR: the rate times <paramref name="Gamma"/> every <paramref name="StepSize"/> epochs.</summary>
public sealed record StepLrSchedule(int StepSize, double Gamma = 0.1) : LearningRateSchedule
{
    public override IEnumerable<string> Problems()
    {
        if (StepSize < 1) yield return $"step_size = {StepSize} is not a whole number >= 1";
        if (!(double.IsFinite(Gamma) && Gamma > 0)) yield return string.Create(CultureInfo.InvariantCulture, $"gamma = {Gamma} is not a positive finite number");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"step:{StepSize}:{Gamma:R}");
}

/// <summary>PyTorch's CosineAnnealingLR: from the initial rate down to <paramref name="EtaMin"/> over
/// <paramref name="TMax"/> epochs (null: the recipe's epochs, fixed when training starts), then back up, periodically.</summary>
public sealed record CosineLrSchedule(int? TMax = null, double EtaMin = 0) : LearningRateSchedule
{
    public override IEnumerable<string> Problems()
    {
        if (TMax is < 1) yield return $"t_max = {TMax} is not a whole number >= 1";
        if (!(double.IsFinite(EtaMin) && EtaMin >= 0)) yield return string.Create(CultureInfo.InvariantCulture, $"eta_min = {EtaMin} is not a finite number >= 0");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"cosine:{TMax?.ToString(CultureInfo.InvariantCulture) ?? "epochs"}:{EtaMin:R}");
}

/// <summary>PyTorch's ReduceLROnPlateau (mode min, relative threshold): the rate times <paramref name="Factor"/> when the
/// monitored loss (validation, else training) has not improved by more than <paramref name="Threshold"/> (relative) for
/// more than <paramref name="Patience"/> epochs; then <paramref name="Cooldown"/> epochs of rest; never below <paramref name="MinLr"/>.</summary>
public sealed record PlateauLrSchedule(double Factor = 0.1, int Patience = 10, double Threshold = 1e-4, int Cooldown = 0, double MinLr = 0) : LearningRateSchedule
{
    public override IEnumerable<string> Problems()
    {
        if (!(Factor > 0 && Factor < 1)) yield return string.Create(CultureInfo.InvariantCulture, $"factor = {Factor} is not in (0, 1)");
        if (Patience < 0) yield return $"patience = {Patience} is not a whole number >= 0";
        if (!(double.IsFinite(Threshold) && Threshold >= 0)) yield return string.Create(CultureInfo.InvariantCulture, $"threshold = {Threshold} is not a finite number >= 0");
        if (Cooldown < 0) yield return $"cooldown = {Cooldown} is not a whole number >= 0";
        if (!(double.IsFinite(MinLr) && MinLr >= 0)) yield return string.Create(CultureInfo.InvariantCulture, $"min_lr = {MinLr} is not a finite number >= 0");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"plateau:{Factor:R}:{Patience}");
}

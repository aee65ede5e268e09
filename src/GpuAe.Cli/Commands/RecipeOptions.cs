using System.CommandLine;
using GpuAe.Backends;
using GpuAe.Models;

namespace GpuAe.Cli.Commands;

/// <summary>
/// `gpuae train`'s optimizer, learning-rate schedule and early-stopping options. Each is null when not given: a new
/// run takes the preset's recipe and these on top; a resumed run keeps its recipe, and a given option that would
/// change it is refused (the checkpoint's optimizer state and schedule belong to that recipe).
/// </summary>
internal sealed class RecipeOptions
{
    private readonly Option<string?> _optimizer = new("--optimizer") { Description = "sgd | momentum | nesterov | rmsprop | adam | adamw (default: the preset's)" };
    private readonly Option<string?> _defaults = new("--optimizer-defaults") { Description = "keras (default: eps 1e-7, rmsprop rho 0.9) | pytorch (eps 1e-8, rho 0.99, adamw weight decay 0.01): fills the optimizer values not given" };
    private readonly Option<float?> _weightDecay = CliOptions.Float("--weight-decay", "L2 added to the gradient (sgd, momentum, nesterov, rmsprop, adam) or decoupled decay (adamw), as torch.optim (default 0)");
    private readonly Option<double?> _beta1 = CliOptions.Double("--beta1", "Adam/AdamW beta1 (default 0.9)");
    private readonly Option<double?> _beta2 = CliOptions.Double("--beta2", "Adam/AdamW beta2 (default 0.999)");
    private readonly Option<double?> _eps = CliOptions.Double("--eps", "Adam/AdamW/RMSprop epsilon (default 1e-7 keras, 1e-8 pytorch)");
    private readonly Option<double?> _rho = CliOptions.Double("--rho", "RMSprop smoothing constant, PyTorch's alpha (default 0.9 keras, 0.99 pytorch)", "--alpha");
    private readonly Option<double?> _momentum = CliOptions.Double("--momentum", "SGD or RMSprop momentum (default 0.9 for momentum/nesterov, else 0)");
    private readonly Option<double?> _dampening = CliOptions.Double("--dampening", "SGD momentum dampening (default 0)");
    private readonly Option<bool> _nesterov = CliOptions.Flag("--nesterov", "SGD with Nesterov momentum (same as --optimizer nesterov)");
    private readonly Option<bool> _centered = CliOptions.Flag("--centered", "Centred RMSprop");
    private readonly Option<string?> _schedule = new("--lr-schedule") { Description = $"Learning-rate schedule per epoch, PyTorch's StepLR / CosineAnnealingLR / ReduceLROnPlateau: {LearningRateSchedule.Syntax} (cosine T_MAX default: --epochs; plateau watches the validation loss)" };
    private readonly Option<int?> _earlyStopping = CliOptions.Int("--early-stopping", "Stop after PATIENCE epochs without a better validation loss; the best epoch's weights go to best.safetensors");
    private readonly Option<double?> _minDelta = CliOptions.Double("--min-delta", "With --early-stopping: the least decrease of the validation loss that counts as better (default 0)");

    public IEnumerable<Option> All =>
        [_optimizer, _defaults, _weightDecay, _beta1, _beta2, _eps, _rho, _momentum, _dampening, _nesterov, _centered, _schedule, _earlyStopping, _minDelta];

    public Values Read(ParseResult r) => new(r.GetValue(_optimizer), r.GetValue(_defaults), r.GetValue(_weightDecay), r.GetValue(_beta1), r.GetValue(_beta2),
        r.GetValue(_eps), r.GetValue(_rho), r.GetValue(_momentum), r.GetValue(_dampening), r.GetValue(_nesterov), r.GetValue(_centered),
        r.GetValue(_schedule), r.GetValue(_earlyStopping), r.GetValue(_minDelta));

    /// <summary>The options as given (null / false: not given).</summary>
    internal sealed record Values(string? Optimizer, string? Defaults, float? WeightDecay, double? Beta1, double? Beta2, double? Epsilon, double? Rho,
        double? Momentum, double? Dampening, bool Nesterov, bool Centered, string? Schedule, int? EarlyStopping, double? MinDelta)
    {
        public static readonly Values None = new(null, null, null, null, null, null, null, null, null, false, false, null, null, null);

        public bool AnyGiven => this != None;

        /// <summary><paramref name="recipe"/> with the given options on top; checked, errors name the option.</summary>
        public TrainingRecipe Apply(TrainingRecipe recipe)
        {
            var kind = Optimizer is null ? recipe.Optimizer : ParseOptimizer(Optimizer);
            if (Nesterov)
                kind = kind is OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov ? OptimizerKind.Nesterov
                    : throw new ArgumentException($"--nesterov applies to SGD; --optimizer is {Optimizer}");
            if (MinDelta is not null && EarlyStopping is null && recipe.EarlyStopping is null)
                throw new ArgumentException("--min-delta applies to early stopping; give --early-stopping PATIENCE too");
            var result = recipe with
            {
                Optimizer = kind,
                OptimizerDefaults = Defaults is null ? recipe.OptimizerDefaults : ParseDefaults(Defaults),
                WeightDecay = WeightDecay ?? recipe.WeightDecay,
                Beta1 = Beta1 ?? recipe.Beta1,
                Beta2 = Beta2 ?? recipe.Beta2,
                Epsilon = Epsilon ?? recipe.Epsilon,
                Rho = Rho ?? recipe.Rho,
                Momentum = Momentum ?? recipe.Momentum,
                Dampening = Dampening ?? recipe.Dampening,
                Centered = Centered ? true : recipe.Centered,
                Schedule = Schedule is null ? recipe.Schedule : LearningRateSchedule.Parse(Schedule),
                EarlyStopping = EarlyStopping is { } patience ? new EarlyStoppingSpec(patience, MinDelta ?? 0)
                    : MinDelta is { } delta && recipe.EarlyStopping is { } stop ? stop with { MinDelta = delta } : recipe.EarlyStopping,
            };
            result = result.WithDefaultWeightDecay(WeightDecay is not null || recipe.WeightDecay != 0);
            if (result.Problems() is [var problem, ..]) throw new ArgumentException($"{problem} ({OptionFor(problem)})");
            return result;
        }

        /// <summary>For --resume: the given options must leave the run's recipe as it is.</summary>
        public void CheckSame(TrainingRecipe saved, string from)
        {
            if (!AnyGiven) return;
            var wanted = Apply(saved with { }) with { Epochs = saved.Epochs };
            if (wanted != saved)
                throw new ArgumentException(
                    $"the optimizer, --lr-schedule or --early-stopping options given conflict with --resume {from}: that run was made with {saved.ToJson()} (leave them out to continue it)");
        }

        private static OptimizerKind ParseOptimizer(string text) => text.ToLowerInvariant() switch
        {
            "sgd" => OptimizerKind.Sgd,
            "momentum" => OptimizerKind.Momentum,
            "nesterov" => OptimizerKind.Nesterov,
            "rmsprop" or "rms_prop" => OptimizerKind.RmsProp,
            "adam" => OptimizerKind.Adam,
            "adamw" or "adam_w" => OptimizerKind.AdamW,
            _ => throw new ArgumentException($"--optimizer {text}: expected sgd, momentum, nesterov, rmsprop, adam or adamw"),
        };

        private static OptimizerDefaults ParseDefaults(string text) => text.ToLowerInvariant() switch
        {
            "keras" => OptimizerDefaults.Keras,
            "pytorch" or "torch" => OptimizerDefaults.Pytorch,
            _ => throw new ArgumentException($"--optimizer-defaults {text}: expected keras or pytorch"),
        };

        /// <summary>The option behind a recipe field named at the start of <paramref name="problem"/>.</summary>
        private static string OptionFor(string problem) => problem.Split(' ', 2)[0] switch
        {
            "beta1" => "--beta1",
            "beta2" => "--beta2",
            "epsilon" => "--eps",
            "rho" => "--rho",
            "momentum" => "--momentum",
            "dampening" => "--dampening",
            "centered" => "--centered",
            "weight_decay" => "--weight-decay",
            "early_stopping.patience" => "--early-stopping",
            "early_stopping.min_delta" => "--min-delta",
            "the" => "--optimizer nesterov",
            _ => "--optimizer",
        };
    }
}

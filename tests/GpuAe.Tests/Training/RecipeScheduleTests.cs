using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>The recipe's optimizer options, schedules and early stopping from the library: defaults, JSON, checks,
/// Trainer behaviour, and checkpoints that resume the schedule and early-stopping state bit for bit.</summary>
public class RecipeScheduleTests
{
    private static readonly ModelSpec Small = new ModelBuilder("small", 1, 1, 12).Flatten().Dense(5, Activation.Tanh).Code()
        .Dense(12, Activation.Sigmoid).Reshape(1, 1, 12).Build(ReconstructionLoss.MeanSquaredError);

    private static Dataset Data(int count, int seed)
    {
        var random = new System.Random(seed);
        var values = new float[count * 12];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        return new Dataset("synthetic", values, count, 1, 1, 12);
    }

    [Fact]
    public void A_recipe_without_options_keeps_todays_values_and_json()
    {
        var recipe = TrainingRecipe.FromJson("""{"optimizer":"rms_prop","learning_rate":0.001,"batch_size":256,"epochs":30,"weight_decay":0,"noise":0}""");
        Assert.Equal("""{"optimizer":"rms_prop","learning_rate":0.001,"batch_size":256,"epochs":30,"weight_decay":0,"noise":0}""", recipe.ToJson());
        var step = recipe.OptimizerStepAt(recipe.InitialLearningRate, 1);
        Assert.Equal((0.001, 1e-7, 0.9, 0.0, false), (step.LearningRate, step.Epsilon, step.Rho, step.Momentum, step.Centered));
        var momentum = new TrainingRecipe(OptimizerKind.Momentum, 0.01f, 8, 1).OptimizerStepAt(0.01, 1);
        Assert.Equal((OptimizerKind.Momentum, 0.9), (momentum.Kind, momentum.Momentum));
        Assert.Empty(Presets.All.SelectMany(p => p.Recipe.Problems()));
    }

    [Fact]
    public void PyTorch_defaults_and_set_values_resolve_as_torch_optim()
    {
        var torch = new TrainingRecipe(OptimizerKind.RmsProp, 0.01f, 8, 1) { OptimizerDefaults = OptimizerDefaults.Pytorch };
        var step = torch.OptimizerStepAt(0.01, 3);
        Assert.Equal((1e-8, 0.99), (step.Epsilon, step.Rho));
        Assert.Equal(0.01f, new TrainingRecipe(OptimizerKind.AdamW, 1e-3f, 8, 1) { OptimizerDefaults = OptimizerDefaults.Pytorch }.WithDefaultWeightDecay(false).WeightDecay);
        Assert.Equal(0f, new TrainingRecipe(OptimizerKind.AdamW, 1e-3f, 8, 1).WithDefaultWeightDecay(false).WeightDecay);
        // SGD with a momentum is the momentum rule; the momentum rule with 0 is plain SGD (torch.optim.SGD is one class)
        Assert.Equal(OptimizerKind.Momentum, new TrainingRecipe(OptimizerKind.Sgd, 0.1f, 8, 1) { Momentum = 0.5 }.OptimizerStepAt(0.1, 1).Kind);
        Assert.Equal(OptimizerKind.Sgd, new TrainingRecipe(OptimizerKind.Momentum, 0.1f, 8, 1) { Momentum = 0 }.OptimizerStepAt(0.1, 1).Kind);
        // 0.001f as written, not the float widened: PyTorch's Python float
        Assert.Equal(0.001, new TrainingRecipe(OptimizerKind.Adam, 0.001f, 8, 1).InitialLearningRate);
        Assert.NotEqual(0.001, (double)0.001f);
    }

    [Fact]
    public void Options_schedule_and_early_stopping_round_trip_through_json()
    {
        var recipe = new TrainingRecipe(OptimizerKind.RmsProp, 0.01f, 8, 5)
        {
            OptimizerDefaults = OptimizerDefaults.Pytorch, Epsilon = 1e-6, Rho = 0.95, Momentum = 0.3, Centered = true,
            Schedule = new PlateauLrSchedule(0.5, 2, Cooldown: 1), EarlyStopping = new EarlyStoppingSpec(3, 0.001),
        };
        string json = recipe.ToJson();
        Assert.Contains("\"optimizer_defaults\":\"pytorch\"", json);
        Assert.Contains("\"schedule\":{\"type\":\"plateau\",\"factor\":0.5,\"patience\":2,", json);
        Assert.Contains("\"early_stopping\":{\"patience\":3,\"min_delta\":0.001}", json);
        Assert.Equal(recipe, TrainingRecipe.FromJson(json));
        foreach (var schedule in new LearningRateSchedule[] { new StepLrSchedule(3, 0.5), new CosineLrSchedule(7, 0.001), new CosineLrSchedule() })
            Assert.Equal(schedule, TrainingRecipe.FromJson((recipe with { Schedule = schedule }).ToJson()).Schedule);
        Assert.Equal(new StepLrSchedule(4, 0.1), LearningRateSchedule.Parse("step:4"));
        Assert.Equal(new CosineLrSchedule(10, 0.01), LearningRateSchedule.Parse("cosine:10:0.01"));
        Assert.Equal(new PlateauLrSchedule(0.2, 3), LearningRateSchedule.Parse("plateau:0.2:3"));
        var bad = Assert.Throws<ModelSpecException>(() => TrainingRecipe.FromJson(
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":8,"epochs":1,"schedule":{"type":"linear"}}"""));
        Assert.StartsWith("training recipe JSON is malformed", bad.Message);
    }

    [Fact]
    public void Bad_values_are_refused_with_the_field_named()
    {
        using var backend = new CpuBackend();
        var recipe = new TrainingRecipe(OptimizerKind.Adam, 0.01f, 8, 1);
        foreach (var (bad, message) in new (TrainingRecipe, string)[]
                 {
                     (recipe with { Beta2 = 1.0 }, "training recipe: beta2 = 1 is not in [0, 1)"),
                     (recipe with { Epsilon = double.NaN }, "training recipe: epsilon = NaN is not a finite number >= 0"),
                     (recipe with { Rho = 0.9 }, "training recipe: rho does not apply to the adam optimizer"),
                     (recipe with { Schedule = new StepLrSchedule(0) }, "training recipe: step_size = 0 is not a whole number >= 1"),
                     (recipe with { EarlyStopping = new EarlyStoppingSpec(2, -1) }, "training recipe: early_stopping.min_delta = -1 is not a finite number >= 0"),
                 })
            Assert.Equal(message, Assert.Throws<ArgumentException>(() => new Trainer(backend, Small, bad, 1)).Message);
    }

    [Fact]
    public void Early_stopping_needs_a_validation_set()
    {
        using var backend = new CpuBackend();
        using var trainer = new Trainer(backend, Small, new TrainingRecipe(OptimizerKind.Adam, 0.01f, 8, 1) { EarlyStopping = new EarlyStoppingSpec(2) }, 1);
        using var train = new DeviceDataset(backend, Data(32, 1));
        var e = Assert.Throws<ArgumentException>(() => trainer.TrainEpoch(train));
        Assert.Equal("small: early stopping watches the validation loss; give TrainEpoch a validation data set", e.Message);
        Assert.Equal(0, trainer.Epoch);
    }

    [Fact]
    public void Trainer_follows_the_schedule_and_stops_early_with_the_best_epoch()
    {
        using var backend = new CpuBackend();
        var recipe = new TrainingRecipe(OptimizerKind.Sgd, 0.1f, 8, 10) { Schedule = new StepLrSchedule(2, 0.5), EarlyStopping = new EarlyStoppingSpec(2, 1e9) };
        using var trainer = new Trainer(backend, Small, recipe, 1);
        using var train = new DeviceDataset(backend, Data(32, 1));
        using var validation = new DeviceDataset(backend, Data(16, 2));
        var epochs = new List<EpochMetrics>();
        while (trainer.StopReason is null) epochs.Add(trainer.TrainEpoch(train, validation));
        Assert.Equal([0.1, 0.1, 0.05], epochs.Select(e => e.LearningRate));
        Assert.Equal([true, false, false], epochs.Select(e => e.IsBest));
        Assert.Equal((1, epochs[0].ValLoss), (trainer.BestEpoch, trainer.BestLoss));
        Assert.Equal(0.05, trainer.LearningRate);
        Assert.StartsWith("validation loss did not improve by more than 1000000000 for 2 epochs (best ", trainer.StopReason);
    }

    /// <summary>Centred RMSprop with momentum (three state tensors), ReduceLROnPlateau that fires, early stopping that does
    /// not: 3 epochs, checkpoint, load, 3 more equals 6 straight, bit for bit, with the same rates and best epoch.</summary>
    [Fact]
    public void A_checkpoint_resumes_the_optimizer_schedule_and_early_stopping_bit_for_bit()
    {
        using var backend = new CpuBackend();
        var recipe = new TrainingRecipe(OptimizerKind.RmsProp, 0.05f, 8, 6)
        {
            Momentum = 0.5, Centered = true, Schedule = new PlateauLrSchedule(0.5, 0, Threshold: 0.5), EarlyStopping = new EarlyStoppingSpec(10),
        };
        using var train = new DeviceDataset(backend, Data(40, 3));
        using var validation = new DeviceDataset(backend, Data(16, 4));
        using var dir = new TempDirectory();

        using var straight = new Trainer(backend, Small, recipe, 7);
        var straightEpochs = Enumerable.Range(0, 6).Select(_ => straight.TrainEpoch(train, validation)).ToList();
        using (var first = new Trainer(backend, Small, recipe, 7))
        {
            for (int i = 0; i < 3; i++) first.TrainEpoch(train, validation);
            Checkpoint.Save(first, dir.File("model.safetensors"));
        }
        using var resumed = Checkpoint.Load(backend, dir.File("model.safetensors"));
        var resumedEpochs = Enumerable.Range(0, 3).Select(_ => resumed.TrainEpoch(train, validation)).ToList();

        Assert.Equal(Parameters(straight), Parameters(resumed));
        Assert.Equal(straightEpochs.Skip(3).Select(e => (e.LearningRate, e.ValLoss, e.IsBest)), resumedEpochs.Select(e => (e.LearningRate, e.ValLoss, e.IsBest)));
        Assert.Equal((straight.LearningRate, straight.BestEpoch, straight.BestLoss), (resumed.LearningRate, resumed.BestEpoch, resumed.BestLoss));
        Assert.True(straightEpochs[^1].LearningRate < 0.05, "the plateau schedule should have lowered the rate");
        Assert.Equal(recipe, resumed.Recipe);
    }

    [Fact]
    public void A_checkpoint_with_centred_rmsprop_state_but_no_state3_is_refused()
    {
        using var backend = new CpuBackend();
        using var dir = new TempDirectory();
        using (var trainer = new Trainer(backend, Small, new TrainingRecipe(OptimizerKind.RmsProp, 0.01f, 8, 1) { Centered = true }, 1))
            Checkpoint.Save(trainer, dir.File("m.safetensors"));
        var file = GpuAe.Checkpoints.SafeTensors.Read(dir.File("m.safetensors"));
        GpuAe.Checkpoints.SafeTensors.Write(dir.File("m.safetensors"), file.Tensors.Where(t => t.Name != "optimizer.state3").ToList(), file.Metadata);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(dir.File("m.safetensors")));
        Assert.Equal($"{dir.File("m.safetensors")}: has optimizer state but no tensor 'optimizer.state3', which centred RMSprop needs", e.Message);
    }

    private static float[] Parameters(Trainer trainer)
    {
        var values = new float[trainer.Network.Parameters.Length];
        trainer.Backend.Download(trainer.Network.Parameters.Values.All, values);
        return values;
    }
}

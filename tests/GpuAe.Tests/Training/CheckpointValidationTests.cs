using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Checkpoints;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>Every value of a checkpoint is checked when it is read, and each error names the file and the tensor or key.</summary>
public sealed class CheckpointValidationTests : IDisposable
{
    private static readonly RunInfo Run = new(600, 256, "cpu", "fp32", "managed",
        new DataFingerprint("/data", [new DataFile("train-images-idx3-ubyte", 47040016, new string('a', 64))]));
    private readonly TempDirectory _dir = new();
    private readonly CpuBackend _backend = new("managed");
    private readonly SafeTensorFile _good;

    public CheckpointValidationTests()
    {
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(_backend, preset.Model, preset.Recipe, seed: 7);
        Checkpoint.Save(trainer, _dir.File("good.safetensors"), Run);
        _good = SafeTensors.Read(_dir.File("good.safetensors"));
    }

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    private string Tampered(Func<NamedTensor, NamedTensor?> tensor, Action<Dictionary<string, string>>? metadata = null)
    {
        var meta = new Dictionary<string, string>(_good.Metadata);
        metadata?.Invoke(meta);
        string path = _dir.File("bad.safetensors");
        SafeTensors.Write(path, _good.Tensors.Select(tensor).OfType<NamedTensor>().ToList(), meta);
        return path;
    }

    private static NamedTensor Set(NamedTensor t, int index, float value)
    {
        var data = (float[])t.Data.Clone();
        data[index] = value;
        return t with { Data = data };
    }

    private static void AssertRefused(string path, params string[] parts)
    {
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains(path, error.Message);
        foreach (string part in parts) Assert.Contains(part, error.Message);
    }

    [Fact]
    public void A_spec_declaring_more_than_the_file_holds_is_refused_before_anything_is_allocated()
    {
        // 784 x 2^28 weights (over 800 GB as float32) if it were built: the file's tensors must be checked first.
        var huge = new ModelBuilder("huge", 1, 28, 28).Flatten().Dense(1 << 28, Activation.Relu).Code()
            .Dense(784, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy);
        string path = Tampered(t => t, meta => meta[Checkpoint.ModelKey] = huge.ToJson());
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("layers.", error.Message);
    }

    [Fact]
    public void The_run_info_round_trips()
    {
        var saved = Checkpoint.Read(_dir.File("good.safetensors"));
        Assert.Equal(Run with { Data = null }, saved.Run! with { Data = null });
        Assert.True(Run.Data!.SameContent(saved.Run!.Data!));
        Assert.Equal("/data", saved.Run.Data!.Source);
        Assert.True(saved.HasOptimizerState);
        Assert.Equal((7, 0, 0), (saved.Seed, saved.Step, saved.Epoch));
    }

    [Fact]
    public void Non_finite_values_are_refused_in_parameters_and_optimizer_state()
    {
        AssertRefused(Tampered(t => t.Name == "optimizer.state1" ? Set(t, 3, float.NaN) : t), "tensor 'optimizer.state1' holds NaN at index 3");
        AssertRefused(Tampered(t => t.Name == "layers.1.bias" ? Set(t, 0, float.PositiveInfinity) : t), "tensor 'layers.1.bias' holds Infinity at index 0");
    }

    [Fact]
    public void Negative_second_moments_are_refused()
    {
        AssertRefused(Tampered(t => t.Name == "optimizer.state2" ? Set(t, 5, -1f) : t), "tensor 'optimizer.state2' holds -1 at index 5", "cannot be negative");
    }

    [Theory]
    [InlineData("gpuae.epoch", "-1", "metadata 'gpuae.epoch' = -1 cannot be negative")]
    [InlineData("gpuae.step", "-5", "metadata 'gpuae.step' = -5 cannot be negative")]
    [InlineData("gpuae.step", "1e3", "metadata 'gpuae.step' = '1e3' is not a whole number")]
    [InlineData("gpuae.seed", "x", "metadata 'gpuae.seed' = 'x' is not a whole number")]
    [InlineData("gpuae.train_samples", "0", "metadata 'gpuae.train_samples' = '0' is not a positive whole number")]
    [InlineData("gpuae.batch_used", "100", "metadata 'gpuae.batch_used' = 100 does not match the recipe's batch size 256 on 600 training samples")]
    [InlineData("gpuae.data", "[1]", "metadata 'gpuae.data' holds a JSON array, expected an object")]
    [InlineData("gpuae.data", "{\"source\":\"/d\",\"files\":[{\"name\":\"a\",\"bytes\":-1,\"sha256\":\"x\"}]}", "'gpuae.data.files[0].bytes' = -1 is below 0")]
    [InlineData("gpuae.recipe", "{\"optimizer\":\"adam\",\"learning_rate\":-1,\"batch_size\":256,\"epochs\":5}", "metadata 'gpuae.recipe': learning_rate = -1 is not a positive finite number")]
    [InlineData("gpuae.recipe", "{\"optimizer\":\"adam\",\"learning_rate\":0.001,\"batch_size\":0,\"epochs\":5}", "metadata 'gpuae.recipe': batch_size = 0 is not a positive whole number")]
    [InlineData("gpuae.model", "{", "metadata 'gpuae.model'")]
    public void Bad_metadata_is_refused_naming_the_key(string key, string value, string expected)
    {
        AssertRefused(Tampered(t => t, m => m[key] = value), expected);
    }

    [Fact]
    public void Missing_metadata_is_refused_naming_the_key()
    {
        AssertRefused(Tampered(t => t, m => m.Remove("gpuae.seed")), "not a gpuae checkpoint (metadata has no 'gpuae.seed')");
        AssertRefused(Tampered(t => t, m => m.Remove("gpuae.precision")), "metadata has 'gpuae.train_samples' but no 'gpuae.precision'");
    }

    [Fact]
    public void Half_an_optimizer_state_and_stray_tensors_are_refused()
    {
        AssertRefused(Tampered(t => t.Name == "optimizer.state2" ? null : t), "has tensor 'optimizer.state1' but not 'optimizer.state2'");

        string stray = Tampered(t => t.Name == "layers.1.bias" ? t : t);
        SafeTensors.Write(stray, [.. _good.Tensors, new NamedTensor("extra", [2], [1f, 2f])], _good.Metadata);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(_backend, stray));
        Assert.Contains($"{stray}: tensor 'extra' is not a parameter of model dense32", error.Message);

        string wrongState = Tampered(t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal) ? t with { Shape = [3], Data = [0f, 0f, 0f] } : t);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(_backend, wrongState));
        Assert.Contains("tensor 'optimizer.state1' has shape [3], the model's optimizer state is [", error.Message);
    }

    [Fact]
    public void A_weights_only_checkpoint_loads_with_a_fresh_optimizer()
    {
        var preset = Presets.Get("dense32");
        using (var trained = new Trainer(_backend, preset.Model, preset.Recipe, seed: 7))
        {
            trained.RestoreCounters(step: 40, epoch: 2);
            _backend.Upload(trained.Network.Parameters.State1.All, Enumerable.Repeat(0.5f, (int)trained.Network.Parameters.Length).ToArray());
            Checkpoint.Save(trained, _dir.File("full.safetensors"), Run);
        }
        var full = SafeTensors.Read(_dir.File("full.safetensors"));
        string path = _dir.File("weights.safetensors");
        SafeTensors.Write(path, full.Tensors.Where(t => !t.Name.StartsWith("optimizer.", StringComparison.Ordinal)).ToList(), full.Metadata);

        var saved = Checkpoint.Read(path);
        Assert.False(saved.HasOptimizerState);
        using var trainer = saved.CreateTrainer(_backend);
        Assert.Equal((0, 2), (trainer.Step, trainer.Epoch)); // the step count restarts with the moments, the epoch (shuffle order) goes on
        var state = new float[trainer.Network.Parameters.Length];
        _backend.Download(trainer.Network.Parameters.State1.All, state);
        Assert.All(state, v => Assert.Equal(0f, v));
        var weights = new float[trainer.Network.Parameters.Length];
        _backend.Download(trainer.Network.Parameters.Values.All, weights);
        var entry = trainer.Network.Parameters.Entries.First();
        Assert.Equal(full[entry.Decl.Name].Data, weights.AsSpan((int)entry.Offset, (int)entry.Length).ToArray());
    }
}

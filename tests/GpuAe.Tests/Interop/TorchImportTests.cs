using GpuAe.Backends.Cpu;
using GpuAe.Checkpoints;
using GpuAe.Interop;
using GpuAe.Models;
using GpuAe.Tests.Cli;
using GpuAe.Training;

namespace GpuAe.Tests.Interop;

/// <summary>A PyTorch state_dict (GpuAe names or an nn.Sequential's) becomes a weights-only checkpoint; every missing,
/// extra, mis-shaped or non-finite tensor is refused with its name (and both shapes).</summary>
[Collection("cli")]
public sealed class TorchImportTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CpuBackend _backend = new("managed");

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    /// <summary>The parameters of <paramref name="preset"/> at seed 5, as GpuAe names them.</summary>
    private List<NamedTensor> Weights(string preset)
    {
        var p = Presets.Get(preset);
        using var trainer = new Trainer(_backend, p.Model, p.Recipe, seed: 5);
        string path = _dir.File($"{preset}-source.safetensors");
        Checkpoint.Save(trainer, path);
        return SafeTensors.Read(path).Tensors.Where(t => !t.Name.StartsWith("optimizer.", StringComparison.Ordinal)).ToList();
    }

    private string TorchFile(IEnumerable<NamedTensor> tensors)
    {
        string path = _dir.File($"torch-{Guid.NewGuid():N}.safetensors");
        SafeTensors.Write(path, tensors.ToList());   // no metadata, as safetensors.torch.save_file(model.state_dict())
        return path;
    }

    private TorchImportResult Import(string preset, string torchFile) =>
        TorchImport.Import(torchFile, Presets.Get(preset).Model, Presets.Get(preset).Recipe, _dir.File($"{Guid.NewGuid():N}.safetensors"));

    [Theory]
    [InlineData("dense32")]
    [InlineData("vae")]
    [InlineData("conv-transpose")]
    public void GpuAe_names_import_into_a_weights_only_checkpoint_that_loads(string preset)
    {
        var weights = Weights(preset);
        var result = Import(preset, TorchFile(weights.AsEnumerable().Reverse()));   // file order does not matter
        Assert.Equal((TorchNaming.GpuAe, weights.Count), (result.Naming, result.Tensors));
        var saved = Checkpoint.Read(result.Checkpoint);
        Assert.False(saved.HasOptimizerState);
        Assert.Equal(Presets.Get(preset).Model.ToJson(), saved.Model.ToJson());
        Assert.Equal((1, 0, 0), (saved.Seed, saved.Step, saved.Epoch));
        var file = SafeTensors.Read(result.Checkpoint);
        foreach (var tensor in weights) Assert.Equal(tensor.Data, file[tensor.Name].Data);
        using var trainer = saved.CreateTrainer(_backend);   // inference and training with a fresh optimizer
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Sequential_names_match_the_parameterised_modules_in_index_order()
    {
        // nn.Sequential(Flatten, Linear, ReLU, Linear, Sigmoid, Unflatten) under a common prefix: 1.* and 3.*;
        // module 11 sorts after 3 by number, not by text
        var weights = Weights("dense32");
        var renamed = weights.Select(t => t with { Name = t.Name.Replace("layers.1.", "net.3.").Replace("layers.2.", "net.11.") });
        var result = Import("dense32", TorchFile(renamed));
        Assert.Equal(TorchNaming.Sequential, result.Naming);
        var file = SafeTensors.Read(result.Checkpoint);
        foreach (var tensor in weights) Assert.Equal(tensor.Data, file[tensor.Name].Data);
    }

    [Fact]
    public void Errors_name_the_tensor_and_both_shapes()
    {
        var weights = Weights("dense32");
        var e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile(weights.Where(t => t.Name != "layers.2.bias"))));
        Assert.Contains("parameter 'layers.2.bias' [784] of model dense32 is missing", e.Message);

        e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile([.. weights, new NamedTensor("layers.9.weight", [2], [1f, 2f])])));
        Assert.Contains("tensor 'layers.9.weight' [2] is not a parameter of model dense32 (its parameters: layers.1.weight, layers.1.bias, layers.2.weight, layers.2.bias)", e.Message);

        var transposed = weights.Select(t => t.Name == "layers.1.weight" ? t with { Shape = [784, 32] } : t);
        e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile(transposed)));
        Assert.Contains("tensor 'layers.1.weight' has shape [784, 32], model dense32 expects [32, 784]", e.Message);

        var sequential = weights.Select(t => t with { Name = t.Name.Replace("layers.1.", "1.").Replace("layers.2.", "3.") }).ToList();
        e = Assert.Throws<InvalidDataException>(() => Import("deep", TorchFile(sequential)));
        Assert.Contains("has 2 nn.Sequential module(s) with parameters (1, 3), model deep has 6 (layers.1, layers.2, layers.3, layers.4, layers.5, layers.6)", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile(sequential.Where(t => t.Name != "3.bias"))));
        Assert.Contains("tensor '3.bias' (for layers.2.bias [784] of model dense32) is missing", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile(sequential.Select(t => t.Name == "3.weight" ? t with { Shape = [392, 64] } : t))));
        Assert.Contains("tensor '3.weight' (for layers.2.weight) has shape [392, 64], model dense32 expects [784, 32]", e.Message);

        e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile([.. sequential, new NamedTensor("encoder.0.running_mean", [2], [0f, 0f])])));
        Assert.Contains("tensor 'encoder.0.running_mean' is neither a GpuAe parameter name (layers.N.weight) nor an nn.Sequential one", e.Message);

        var nan = weights.Select(t => t.Name == "layers.2.bias" ? t with { Data = [.. t.Data[..7], float.NaN, .. t.Data[8..]] } : t);
        e = Assert.Throws<InvalidDataException>(() => Import("dense32", TorchFile(nan)));
        Assert.Contains("tensor 'layers.2.bias' holds NaN at index 7; weights must be finite", e.Message);
    }

    [Fact]
    public void The_import_command_writes_a_checkpoint_that_export_reads_and_refuses_to_overwrite_one()
    {
        string torch = TorchFile(Weights("conv"));
        string run = _dir.File("run");
        var (code, output, error) = CliRunner.Run("import", "--torch", torch, "--model", "conv", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains($"imported 14 tensors (GpuAe names) for model conv into {Path.Combine(run, "model.safetensors")} (weights only: training starts a fresh optimizer)", output);

        (code, output, error) = CliRunner.Run("export", "--onnx", "--from", run);
        Assert.True(code == 0, error);
        Assert.Contains($"wrote model.onnx, encoder.onnx, decoder.onnx (ONNX opset 17) to {run}", output);
        Assert.All(["model.onnx", "encoder.onnx", "decoder.onnx"], f => Assert.True(new FileInfo(Path.Combine(run, f)).Length > 1000));

        (code, _, error) = CliRunner.Run("import", "--torch", torch, "--model", "conv", "--out", run);
        Assert.Equal(1, code);
        Assert.Contains($"error: --out {run}: already holds model.safetensors; import into a new folder (nothing was overwritten)", error);
        (code, _, error) = CliRunner.Run("import", "--torch", torch, "--model", "dense32", "--out", _dir.File("other"));
        Assert.Equal(1, code);
        Assert.Contains("parameter 'layers.1.weight' [32, 784] of model dense32 is missing", error);
        (code, _, error) = CliRunner.Run("import", "--torch", _dir.File("none.safetensors"), "--model", "conv", "--out", _dir.File("x"));
        Assert.Equal((1, $"error: --torch {_dir.File("none.safetensors")}: no such file"), (code, error.Trim()));
        (code, _, error) = CliRunner.Run("export", "--from", run);
        Assert.Equal((1, "error: export: name the format, --onnx (the only one so far)"), (code, error.Trim()));
    }
}

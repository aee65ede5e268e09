using GpuAe.Backends.Cpu;
using GpuAe.Checkpoints;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

[Collection("mnist")]
public class CheckpointTests(MnistFixture mnist)
{
    [SkippableFact]
    public void Resuming_from_a_checkpoint_continues_bit_for_bit()
    {
        var (train, test) = mnist.Data;
        var preset = Presets.Get("conv-dense");
        using var backend = new CpuBackend();
        using var trainSet = new DeviceDataset(backend, train.Subset(0, 512));
        using var testSet = new DeviceDataset(backend, test.Subset(0, 200));
        using var dir = new TempDirectory();

        float[] straight;
        EpochMetrics straightSecond;
        using (var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 5))
        {
            trainer.TrainEpoch(trainSet);
            straightSecond = trainer.TrainEpoch(trainSet, testSet);
            straight = Parameters(trainer);
        }
        using (var first = new Trainer(backend, preset.Model, preset.Recipe, seed: 5))
        {
            first.TrainEpoch(trainSet);
            Checkpoint.Save(first, dir.File("model.safetensors"));
        }
        using var resumed = Checkpoint.Load(backend, dir.File("model.safetensors"));
        Assert.Equal((1, 512 / 128), (resumed.Epoch, resumed.Step));
        var resumedSecond = resumed.TrainEpoch(trainSet, testSet);

        Assert.Equal(straight, Parameters(resumed));
        Assert.Equal(straightSecond with { EpochSeconds = 0, SamplesPerSecond = 0 }, resumedSecond with { EpochSeconds = 0, SamplesPerSecond = 0 });
    }

    [Fact]
    public void Checkpoint_holds_pytorch_layouts_and_the_model_spec()
    {
        using var backend = new CpuBackend("managed");
        var preset = Presets.Get("conv");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1);
        using var dir = new TempDirectory();
        Checkpoint.Save(trainer, dir.File("m.safetensors"));

        var file = SafeTensors.Read(dir.File("m.safetensors"));
        Assert.Equal([16, 1, 3, 3], file["layers.0.weight"].Shape);
        Assert.Equal([16], file["layers.0.bias"].Shape);
        Assert.Equal(preset.Model.ToJson(), ModelSpec.FromJson(file.Metadata["gpuae.model"]).ToJson());
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void A_checkpoint_of_another_model_is_refused_with_the_tensor_named()
    {
        using var backend = new CpuBackend("managed");
        using var dir = new TempDirectory();
        var preset = Presets.Get("dense32");
        using (var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1))
            Checkpoint.Save(trainer, dir.File("m.safetensors"));
        var file = SafeTensors.Read(dir.File("m.safetensors"));
        var tampered = file.Tensors.Select(t => t.Name == "layers.1.weight" ? t with { Shape = [16, 1568], Data = new float[16 * 1568] } : t).ToList();
        SafeTensors.Write(dir.File("bad.safetensors"), tampered, file.Metadata);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(backend, dir.File("bad.safetensors")));
        Assert.Contains("parameter 'layers.1.weight' has shape [16, 1568], the model expects [32, 784]", error.Message);
    }

    private static float[] Parameters(Trainer trainer)
    {
        var values = new float[trainer.Network.Parameters.Length];
        trainer.Backend.Download(trainer.Network.Parameters.Values.All, values);
        return values;
    }
}

[Collection("mnist")]
public class DivergenceTests(MnistFixture mnist)
{
    [SkippableFact]
    public void A_non_finite_loss_stops_training_with_a_clear_error()
    {
        var (train, _) = mnist.Data;
        using var backend = new CpuBackend();
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1);
        using var data = new DeviceDataset(backend, train.Subset(0, 512));
        // A NaN weight, as an overflowing learning rate would leave behind.
        backend.Upload(trainer.Network.Parameters.Values.Slice(0, 1), [float.NaN]);

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.TrainEpoch(data));
        Assert.Contains("training loss became NaN in epoch 1", error.Message);
        Assert.Contains("lower the learning rate", error.Message);
    }
}

using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.OpenCL;

/// <summary>
/// A dense model's first layer gathers the batch on its GEMM's loads (<see cref="GpuAe.Backends.IBackend.GemmGatherRows"/>);
/// samples staged on the device in batch order (the C API's device entry points) take the copy + plain GEMM branch of the
/// same plan step. Both give the same codes, and the inputs the plan hands back are the gathered rows.
/// </summary>
[Collection("OpenCL")]
public sealed class OpenClGatheringGemmTests(OpenClFixture fixture)
{
    [SkippableFact]
    public void Gathered_and_staged_batches_encode_to_the_same_codes()
    {
        var backend = fixture.Require();
        var preset = Presets.Get("dense32");
        int count = 300;   // one full batch of 256 and a partial one
        var (train, _) = OpenClTrainingParityTests.LoadData(count, 1);
        using var data = new DeviceDataset(backend, train);
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 3);

        var gathered = trainer.Encode(data, count);
        Assert.Equal(train.Images.AsSpan(0, count * 784).ToArray(), trainer.NoisyInputs(data, count));   // x written by the GEMM

        var staged = new float[gathered.Length];
        using (var samples = backend.Allocate((long)count * 784))
        using (var codes = backend.Allocate(gathered.Length))
        {
            backend.Upload(samples.All, train.Images.AsSpan(0, count * 784));
            trainer.EncodeOnDevice(samples.All, count, codes.All);
            backend.Download(codes.All, staged);
        }
        Assert.Equal(gathered, staged);
        Assert.Contains(gathered, v => v != 0f);
    }
}

using GpuAe.Tests.Training;

namespace GpuAe.Tests.Cli;

[Collection("cli")]
public class DivergenceWarningTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    [SkippableFact]
    public void A_finite_but_exploding_loss_gets_a_warning_naming_the_learning_rate()
    {
        _ = mnist.Data;
        using var dir = new TempDirectory();
        // a VAE at 50x its learning rate: the first epoch's loss passes 1e13 per image without becoming NaN (seed 1)
        var (code, output, error) = CliRunner.Run("train", "--model", "vae", "--backend", "cpu", "--cpu-gemm", "managed", "--train-samples", "2000",
            "--epochs", "1", "--lr", "0.05", "--out", dir.Path);
        Assert.True(code == 0, error);
        Assert.Matches(@"warning: training loss [0-9.]+e\+1[0-9] in epoch 1 is above 1e8: training is diverging at learning rate 0\.05; lower it \(--lr\)", output);
    }
}

using System.Text.Json.Nodes;
using GpuAe.Checkpoints;

namespace GpuAe.Tests.Cli;

/// <summary>`gpuae train` with optimizer hyper-parameters, learning-rate schedules and early stopping: resumable bit for
/// bit (3 + 3 epochs = 6 straight, byte for byte), everything in metrics.json, best.safetensors, clear errors.</summary>
[Collection("cli")]
public class ScheduleCommandTests
{
    private static string Table(TempDirectory dir)
    {
        var random = new System.Random(11);
        var lines = new List<string> { "a,b,c,d,e,f" };
        for (int i = 0; i < 200; i++)
            lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{random.NextDouble()},{random.NextDouble()},{random.NextDouble() * 3},{random.NextDouble()},{i % 5},{random.NextDouble()}"));
        File.WriteAllLines(dir.File("rows.csv"), lines);
        return dir.File("rows.csv");
    }

    private static JsonNode Metrics(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;

    private static string Ok((int Code, string Out, string Error) result)
    {
        Assert.True(result.Code == 0, result.Error);
        return result.Out;
    }

    [Fact]
    public void Three_plus_three_epochs_with_a_schedule_and_early_stopping_equal_six_straight()
    {
        using var dir = new TempDirectory();
        string csv = Table(dir), a = Path.Combine(dir.Path, "a"), b = Path.Combine(dir.Path, "b");
        // centred RMSprop with momentum keeps three state tensors; the schedule halves the rate every 2 epochs
        string[] run = ["train", "--data", csv, "--backend", "cpu", "--batch", "16", "--seed", "2", "--optimizer", "rmsprop", "--centered",
            "--momentum", "0.5", "--optimizer-defaults", "pytorch", "--lr", "0.01", "--lr-schedule", "step:2:0.5", "--early-stopping", "50"];
        string first = Ok(CliRunner.Run([.. run, "--epochs", "3", "--out", a]));
        Assert.Contains("rmsprop lr 0.01 (rho 0.99, eps 1e-08, momentum 0.5, centered), schedule step:2:0.5", first);
        Ok(CliRunner.Run("train", "--resume", a, "--epochs", "6"));
        Ok(CliRunner.Run([.. run, "--epochs", "6", "--out", b]));

        Assert.Equal(File.ReadAllBytes(Path.Combine(b, "model.safetensors")), File.ReadAllBytes(Path.Combine(a, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(b, "best.safetensors")), File.ReadAllBytes(Path.Combine(a, "best.safetensors")));
        Assert.Contains("optimizer.state3", SafeTensors.Read(Path.Combine(a, "model.safetensors")).Tensors.Select(t => t.Name));
        var (ma, mb) = (Metrics(a), Metrics(b));
        double[] rates = ma["epochs"]!.AsArray().Select(e => e!["learning_rate"]!.GetValue<double>()).ToArray();
        Assert.Equal([0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025], rates);
        Assert.Equal(mb["epochs"]!.AsArray().Select(e => e!["val_loss"]!.GetValue<double>()), ma["epochs"]!.AsArray().Select(e => e!["val_loss"]!.GetValue<double>()));
        Assert.Equal("step:2:0.5", ma["lr_schedule"]!.GetValue<string>());
        Assert.Equal(0.00125, ma["next_learning_rate"]!.GetValue<double>());
        Assert.Equal((1e-8, 0.99, 0.5, true), (ma["optimizer_settings"]!["epsilon"]!.GetValue<double>(), ma["optimizer_settings"]!["rho"]!.GetValue<double>(),
            ma["optimizer_settings"]!["momentum"]!.GetValue<double>(), ma["optimizer_settings"]!["centered"]!.GetValue<bool>()));
        int best = ma["early_stopping"]!["best_epoch"]!.GetValue<int>();
        Assert.Equal(mb["early_stopping"]!["best_epoch"]!.GetValue<int>(), best);
        Assert.Equal(ma["epochs"]!.AsArray().Min(e => e!["val_loss"]!.GetValue<double>()), ma["early_stopping"]!["best_val_loss"]!.GetValue<double>());
        Assert.Equal(best.ToString(System.Globalization.CultureInfo.InvariantCulture),
            SafeTensors.Read(Path.Combine(a, "best.safetensors")).Metadata["gpuae.epoch"]);
        Assert.Null(ma["stop_reason"]);

        // a resumed run keeps its recipe: options that would change it are refused
        var (code, _, error) = CliRunner.Run("train", "--resume", a, "--epochs", "8", "--lr-schedule", "cosine");
        Assert.Equal(1, code);
        Assert.StartsWith($"error: the optimizer, --lr-schedule or --early-stopping options given conflict with --resume {a}: that run was made with ", error);
        Ok(CliRunner.Run("train", "--resume", a, "--epochs", "7", "--lr-schedule", "step:2:0.5", "--optimizer", "rmsprop"));   // the same: fine
    }

    [Fact]
    public void Early_stopping_stops_keeps_the_best_epoch_and_says_why()
    {
        using var dir = new TempDirectory();
        string csv = Table(dir), run = Path.Combine(dir.Path, "run");
        // no later epoch beats the first by 1000: patience 2 stops after epoch 3
        string output = Ok(CliRunner.Run("train", "--data", csv, "--backend", "cpu", "--batch", "16", "--epochs", "10", "--early-stopping", "2",
            "--min-delta", "1000", "--lr-schedule", "cosine", "--out", run));
        Assert.Contains("stopped early after epoch 3: validation loss did not improve by more than 1000 for 2 epochs (best ", output);
        var metrics = Metrics(run);
        Assert.Equal(3, metrics["epochs"]!.AsArray().Count);
        Assert.Equal(1, metrics["early_stopping"]!["best_epoch"]!.GetValue<int>());
        Assert.Equal("best.safetensors", metrics["early_stopping"]!["best_checkpoint"]!.GetValue<string>());
        Assert.StartsWith("early stopping: validation loss did not improve by more than 1000 for 2 epochs (best ", metrics["stop_reason"]!.GetValue<string>());
        Assert.Equal("cosine:10:0", metrics["lr_schedule"]!.GetValue<string>());   // T_max: the planned epochs
        Assert.Equal("1", SafeTensors.Read(Path.Combine(run, "best.safetensors")).Metadata["gpuae.epoch"]);
        Assert.Equal("3", SafeTensors.Read(Path.Combine(run, "model.safetensors")).Metadata["gpuae.epoch"]);

        var (code, _, error) = CliRunner.Run("train", "--resume", run, "--epochs", "12");
        Assert.Equal(1, code);
        Assert.StartsWith($"error: --resume {run}: the run stopped early at epoch 3 (validation loss did not improve", error);
    }

    [Theory]
    [InlineData("--lr-schedule cosine:0", "error: --lr-schedule cosine:0: t_max = 0 is not a whole number >= 1 (expected step:SIZE[:GAMMA] | cosine[:TMAX[:ETA_MIN]] | plateau[:FACTOR[:PATIENCE]])")]
    [InlineData("--lr-schedule warmup:3", "error: --lr-schedule warmup:3: unknown schedule 'warmup' (expected step:SIZE[:GAMMA] | cosine[:TMAX[:ETA_MIN]] | plateau[:FACTOR[:PATIENCE]])")]
    [InlineData("--lr-schedule plateau:2", "error: --lr-schedule plateau:2: factor = 2 is not in (0, 1) (expected step:SIZE[:GAMMA] | cosine[:TMAX[:ETA_MIN]] | plateau[:FACTOR[:PATIENCE]])")]
    [InlineData("--optimizer adam --momentum 0.9", "error: momentum does not apply to the adam optimizer (--momentum)")]
    [InlineData("--optimizer adam --beta1 1", "error: beta1 = 1 is not in [0, 1) (--beta1)")]
    [InlineData("--optimizer nesterov --dampening 0.1", "error: the nesterov optimizer needs a momentum above 0 and dampening 0 (as torch.optim.SGD) (--optimizer nesterov)")]
    [InlineData("--optimizer lion", "error: --optimizer lion: expected sgd, momentum, nesterov, rmsprop, adam or adamw")]
    [InlineData("--optimizer-defaults jax", "error: --optimizer-defaults jax: expected keras or pytorch")]
    [InlineData("--min-delta 0.1", "error: --min-delta applies to early stopping; give --early-stopping PATIENCE too")]
    [InlineData("--early-stopping 0", "error: early_stopping.patience = 0 is not a whole number >= 1 (--early-stopping)")]
    [InlineData("--optimizer adam --nesterov", "error: --nesterov applies to SGD; --optimizer is adam")]
    public void Bad_recipe_options_are_one_line_errors_naming_the_option(string options, string expected)
    {
        using var dir = new TempDirectory();
        var (code, _, error) = CliRunner.Run(["train", "--data", Table(dir), "--backend", "cpu", "--epochs", "1", "--out", Path.Combine(dir.Path, "run"),
            .. options.Split(' ')]);
        Assert.Equal(1, code);
        Assert.Equal(expected, error.Trim());
    }
}

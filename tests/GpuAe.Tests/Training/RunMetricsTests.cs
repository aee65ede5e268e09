using GpuAe.Training;

namespace GpuAe.Tests.Training;

public class RunMetricsTests
{
    private const string Valid = """
        {"model": "dense32", "seed": 3, "started": "2026-11-30T11:54:01Z", "other": [1, {"x": null}],
         "epochs": [{"epoch": 1, "train_loss": 0.5, "val_loss": 0.4, "val_mse": 0.1, "epoch_seconds": 1.5, "samples_per_second": 400},
                    {"epoch": 2, "train_loss": 0.3, "val_loss": null, "epoch_seconds": 1.5, "samples_per_second": 400}]}
        """;

    [Fact]
    public void Parses_the_history_and_start_time()
    {
        var m = RunMetrics.Parse(Valid, "m.json");
        Assert.Equal(("dense32", 3), (m.Model, m.Seed));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 11, 54, 1, TimeSpan.Zero), m.Started);
        Assert.Equal(new EpochMetrics(1, 0.5, 0.4, 0.1, 1.5, 400), m.Epochs[0]);
        Assert.Equal(2, m.Epochs[1].Epoch);
        Assert.True(double.IsNaN(m.Epochs[1].ValLoss) && double.IsNaN(m.Epochs[1].ValMse));
        Assert.Null(RunMetrics.Parse("""{"model": "m", "seed": -1, "epochs": []}""", "m.json").Started);
    }

    [Theory]
    [InlineData("", "runs/a/metrics.json is not valid JSON")]
    [InlineData("[]", "runs/a/metrics.json holds a JSON array, expected an object")]
    [InlineData("""{"model": "m", "seed": 1}""", "'epochs' is missing")]
    [InlineData("""{"model": 5, "seed": 1, "epochs": []}""", "'model' is a JSON number, expected a string")]
    [InlineData("""{"model": "m", "seed": 1e40, "epochs": []}""", "'seed' = 1e40 is not a whole number")]
    [InlineData("""{"model": "m", "seed": 99999999999, "epochs": []}""", "'seed' = 99999999999 is too large")]
    [InlineData("""{"model": "m", "seed": 1, "started": "yesterday", "epochs": []}""", "'started' = 'yesterday' is not a date and time")]
    [InlineData("""{"model": "m", "seed": 1, "epochs": [3]}""", "'epochs[0]' is a JSON number, expected an object")]
    [InlineData("""{"model": "m", "seed": 1, "epochs": [{"epoch": 0}]}""", "'epochs[0].epoch' = 0 is below 1")]
    [InlineData("""{"model": "m", "seed": 1, "epochs": [{"epoch": 1, "train_loss": "x"}]}""", "'epochs[0].train_loss' = \"x\" is not a finite number")]
    [InlineData("""{"model": "m", "seed": 1, "epochs": [{"epoch": 2, "train_loss": 1, "epoch_seconds": 1, "samples_per_second": 1}, {"epoch": 2}]}""", "'epochs[1].epoch' = 2 does not follow epoch 2")]
    public void Anything_malformed_is_an_InvalidDataException_naming_the_file_and_member(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => RunMetrics.Parse(json, "runs/a/metrics.json"));
        Assert.StartsWith("runs/a/metrics.json", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("{\"model\": \"m\", \"seed\": 1, \"epochs\": [], \"started\": \"a\\nb\"}")] // a quoted value with a line break
    [InlineData("{\"mo\n\ndel\": 1 x}")]                                                       // the JSON reader quotes the bad token with its line breaks (found by the fuzzer)
    public void Errors_stay_on_one_line(string json)
    {
        var error = Assert.Throws<InvalidDataException>(() => RunMetrics.Parse(json, "m.json"));
        Assert.DoesNotContain('\n', error.Message);
        Assert.StartsWith("m.json", error.Message);
    }

    [Fact]
    public void Deep_nesting_is_an_InvalidDataException()
    {
        string deep = "{\"model\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.Throws<InvalidDataException>(() => RunMetrics.Parse(deep, "m.json"));
    }
}

public class DivergenceWatchTests
{
    private static EpochMetrics Epoch(int epoch, double loss) => new(epoch, loss, double.NaN, double.NaN, 1, 1);

    [Fact]
    public void Warns_once_when_the_loss_grows_a_thousandfold_naming_the_learning_rate()
    {
        var watch = new DivergenceWatch();
        Assert.Null(watch.Check(Epoch(1, 0.2), 0.5f));
        Assert.Null(watch.Check(Epoch(2, 150), 0.5f));
        string? warning = watch.Check(Epoch(3, 250), 0.5f);
        Assert.Equal("training loss 250 in epoch 3 is over 1000 times the first epoch's 0.2: training is diverging at learning rate 0.5; lower it (--lr)", warning);
        Assert.Null(watch.Check(Epoch(4, 1e6), 0.5f));
    }

    [Fact]
    public void Warns_about_a_huge_loss_even_in_the_first_epoch_and_takes_the_first_loss_from_a_resumed_history()
    {
        Assert.Contains("is above 1e8", new DivergenceWatch().Check(Epoch(1, 3e13), 10f));
        var resumed = new DivergenceWatch(firstLoss: 0.001);
        Assert.Contains("over 1000 times the first epoch's 0.001", resumed.Check(Epoch(7, 2), 1e-3f));
        Assert.Null(new DivergenceWatch(firstLoss: 0.001).Check(Epoch(7, 0.9), 1e-3f));
    }
}

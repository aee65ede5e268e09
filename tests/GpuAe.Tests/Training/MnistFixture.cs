using GpuAe.Data;

namespace GpuAe.Tests.Training;

/// <summary>Real MNIST, loaded once for all training tests. Skips when it cannot be had on a developer
/// machine; under CI (CI=true, where .ci/run fills the cache) a missing data set is a failure.</summary>
public sealed class MnistFixture
{
    private readonly Lazy<(Dataset Train, Dataset Test)?> _data;
    private string _why = "";

    public MnistFixture() => _data = new(Load);

    public (Dataset Train, Dataset Test) Data
    {
        get
        {
            var data = _data.Value;
            Skip.If(data is null, _why);
            return data!.Value;
        }
    }

    private (Dataset, Dataset)? Load()
    {
        try
        {
            return Mnist.Load(MnistLocator.Locate(dataDir: null, report: _ => { }));
        }
        catch (DataUnavailableException e) when (Environment.GetEnvironmentVariable("CI") != "true")
        {
            _why = $"MNIST unavailable: {e.Message}";
            return null;
        }
    }
}

[CollectionDefinition("mnist")]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>;

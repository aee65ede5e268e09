namespace GpuAe.Data;

/// <summary>Loads MNIST from the four standard IDX files.</summary>
public static class Mnist
{
    internal const string TrainImages = "train-images-idx3-ubyte";
    internal const string TrainLabels = "train-labels-idx1-ubyte";
    internal const string TestImages = "t10k-images-idx3-ubyte";
    internal const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four file names, as distributed (each may also be present with a .gz suffix).</summary>
    public static IReadOnlyList<string> FileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>
    /// Loads the training (60000) and test (10000) sets from <paramref name="directory"/>, which holds
    /// the four files, each plain or gzipped. Images are 1x28x28 in [0,1]; labels are 0..9.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it and the folder.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, not 28x28, or labels disagree with images.</exception>
    public static (Dataset Train, Dataset Test) Load(string directory)
    {
        string[] missing = MissingFiles(directory);
        if (missing.Length > 0)
            throw new FileNotFoundException(
                $"MNIST file(s) {string.Join(", ", missing)} (plain or .gz) not found in {Path.GetFullPath(directory)}",
                Path.Combine(directory, missing[0]));

        return (LoadSplit("mnist-train", directory, TrainImages, TrainLabels),
                LoadSplit("mnist-test", directory, TestImages, TestLabels));
    }

    /// <summary>True when <paramref name="directory"/> holds all four files (plain or .gz).</summary>
    public static bool IsPresent(string directory) => MissingFiles(directory).Length == 0;

    /// <summary>The standard names with neither a plain nor a .gz file in <paramref name="directory"/>.</summary>
    internal static string[] MissingFiles(string directory) => FileNames.Where(name => Find(directory, name) is null).ToArray();

    private static Dataset LoadSplit(string name, string directory, string imagesFile, string labelsFile)
    {
        string imagesPath = Find(directory, imagesFile)!, labelsPath = Find(directory, labelsFile)!;
        Dataset set = Dataset.FromIdx(name, imagesPath, labelsPath);
        if (set.Channels != 1 || set.Height != 28 || set.Width != 28)
            throw DataFormat.Error(imagesPath, $"expected 28x28 MNIST images, found {set.Channels}x{set.Height}x{set.Width} per sample");
        int bad = Array.FindIndex(set.Labels!, label => label > 9);
        if (bad >= 0)
            throw DataFormat.Error(labelsPath, $"expected digit labels 0..9, found {set.Labels![bad]} at index {bad}");
        return set;
    }

    // Plain first: if both exist the uncompressed one is cheaper to read.
    internal static string? Find(string directory, string name)
    {
        string plain = Path.Combine(directory, name);
        if (File.Exists(plain)) return plain;
        string gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }
}

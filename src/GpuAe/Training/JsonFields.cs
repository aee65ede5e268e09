using System.Globalization;
using System.Text.Json;
using GpuAe.Data;

namespace GpuAe.Training;

/// <summary>
/// Typed reads of a JSON object's members where every failure is an <see cref="InvalidDataException"/> naming the
/// file and the member's path (for files users may have edited or damaged: metrics.json, checkpoint metadata).
/// </summary>
/// <param name="Prefix">Path of this object from the root, "" or ending in '.' ("data." , "epochs[2].").</param>
internal readonly record struct JsonFields(JsonElement Element, string File, string Prefix)
{
    /// <summary>Parses <paramref name="json"/>, whose root must be an object; <paramref name="what"/> names it in errors
    /// ("" for a whole file, "metadata 'gpuae.data'" for a value inside one), <paramref name="prefix"/> starts member paths.</summary>
    public static JsonFields ParseObject(string json, string file, string what = "", string prefix = "")
    {
        string subject = what.Length == 0 ? file : $"{file}: {what}";
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(DataFormat.OneLine($"{subject} is not valid JSON ({e.Message})"), e);
        }
        return root.ValueKind == JsonValueKind.Object ? new JsonFields(root, file, prefix)
            : throw new InvalidDataException($"{subject} holds a JSON {Kind(root)}, expected an object");
    }

    /// <summary>One line, whatever the file put into the member name or the quoted value.</summary>
    public InvalidDataException Error(string key, string problem) => new(DataFormat.OneLine($"{File}: '{Prefix}{key}' {problem}"));

    public bool Has(string key) => Element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement Get(string key) => Element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v
        : throw Error(key, "is missing");

    public JsonFields Object(string key)
    {
        var v = Get(key);
        return v.ValueKind == JsonValueKind.Object ? new JsonFields(v, File, $"{Prefix}{key}.")
            : throw Error(key, $"is a JSON {Kind(v)}, expected an object");
    }

    public IReadOnlyList<JsonFields> Objects(string key)
    {
        var v = Get(key);
        if (v.ValueKind != JsonValueKind.Array) throw Error(key, $"is a JSON {Kind(v)}, expected an array");
        var items = new List<JsonFields>();
        foreach (var item in v.EnumerateArray())
        {
            string path = $"{key}[{items.Count}]";
            items.Add(item.ValueKind == JsonValueKind.Object ? new JsonFields(item, File, $"{Prefix}{path}.")
                : throw Error(path, $"is a JSON {Kind(item)}, expected an object"));
        }
        return items;
    }

    public string String(string key)
    {
        var v = Get(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(key, $"is a JSON {Kind(v)}, expected a string");
    }

    public long Long(string key, long min = long.MinValue)
    {
        var v = Get(key);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n)) throw Error(key, $"= {Shorten(v.GetRawText())} is not a whole number");
        return n >= min ? n : throw Error(key, $"= {n} is below {min}");
    }

    public int Int(string key, int min = int.MinValue)
    {
        long n = Long(key, min);
        return n <= int.MaxValue ? (int)n : throw Error(key, $"= {n} is too large");
    }

    /// <summary>A finite number; when <paramref name="optional"/>, null or absent reads as NaN.</summary>
    public double Double(string key, bool optional = false)
    {
        if (optional && !Has(key)) return double.NaN;
        var v = Get(key);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
            throw Error(key, $"= {Shorten(v.GetRawText())} is not a finite number");
        return d;
    }

    public DateTimeOffset Time(string key)
    {
        string text = String(key);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
            : throw Error(key, $"= '{Shorten(text)}' is not a date and time");
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}

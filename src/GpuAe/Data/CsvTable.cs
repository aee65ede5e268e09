using System.Globalization;

namespace GpuAe.Data;

/// <summary>A numeric table read from CSV: the feature columns (row-major), their names, and the label column's values
/// when one was named.</summary>
/// <param name="Path">The file it came from.</param>
/// <param name="Features">Names of the feature columns, in file order.</param>
/// <param name="Values">Rows * Features.Count values, row-major.</param>
/// <param name="Rows">Number of data rows.</param>
/// <param name="Labels">One class label (0..255) per row, or null when no label column was named.</param>
public sealed record CsvTable(string Path, IReadOnlyList<string> Features, float[] Values, int Rows, byte[]? Labels);

/// <summary>Reads CSV files of numbers with a header line (comma-separated, invariant culture, no quoted commas).
/// Every malformation is an <see cref="InvalidDataException"/> naming the file, line and column.</summary>
public static class CsvReader
{
    /// <summary>Reads <paramref name="path"/>; <paramref name="labelColumn"/> (if given) holds whole-number class labels
    /// 0..255 and is not a feature; <paramref name="dropColumns"/> are ignored. With <paramref name="features"/> (the
    /// columns a model was trained on) exactly those are the features, in that order, and other columns are ignored.</summary>
    public static CsvTable Read(string path, string? labelColumn = null, IReadOnlyCollection<string>? dropColumns = null,
        IReadOnlyList<string>? features = null)
    {
        using var reader = new StreamReader(path);
        string? headerLine = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(headerLine))
            throw DataFormat.Error(path, "the file is empty; expected a header line of column names, then rows of numbers");
        string[] header = headerLine.Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw DataFormat.Error(path, $"line 1: column '{duplicate.Key}' appears twice in the header");

        dropColumns ??= [];
        foreach (string drop in dropColumns)
            if (!header.Contains(drop))
                throw DataFormat.Error(path, $"--drop-columns: no column '{drop}' in the header ({string.Join(", ", header)})");
        int labelIndex = -1;
        if (labelColumn is not null)
        {
            labelIndex = Array.IndexOf(header, labelColumn);
            if (labelIndex < 0)
                throw DataFormat.Error(path, $"--label-column: no column '{labelColumn}' in the header ({string.Join(", ", header)})");
        }
        int[] featureIndex = features is null
            ? Enumerable.Range(0, header.Length).Where(i => i != labelIndex && !dropColumns.Contains(header[i])).ToArray()
            : features.Select(f => Array.IndexOf(header, f) is >= 0 and var i ? i
                : throw DataFormat.Error(path, $"no column '{f}', which the model was trained on, in the header ({string.Join(", ", header)})")).ToArray();
        if (featureIndex.Length == 0)
            throw DataFormat.Error(path, "no feature columns are left after the label and dropped columns");

        var values = new List<float>();
        var labels = labelIndex >= 0 ? new List<byte>() : null;
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue; // a trailing newline, or blank separator lines
            string[] cells = text.Split(',');
            if (cells.Length != header.Length)
                throw DataFormat.Error(path, $"line {line}: {cells.Length} cells, the header has {header.Length} columns");
            foreach (int c in featureIndex) values.Add(ParseCell(path, line, header[c], cells[c]));
            if (labels is not null) labels.Add(ParseLabel(path, line, header[labelIndex], cells[labelIndex]));
        }
        int rows = values.Count / featureIndex.Length;
        if (rows == 0) throw DataFormat.Error(path, "the file has a header but no data rows");
        return new CsvTable(path, featureIndex.Select(i => header[i]).ToArray(), values.ToArray(), rows, labels?.ToArray());
    }

    private static float ParseCell(string path, int line, string column, string cell)
    {
        string text = cell.Trim().Trim('"');
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw DataFormat.Error(path, $"line {line}, column '{column}': '{text}' is not a number");
        if (!float.IsFinite(value))
            throw DataFormat.Error(path, $"line {line}, column '{column}': {text} is not a finite number (NaN and infinities cannot be trained on)");
        return value;
    }

    private static byte ParseLabel(string path, int line, string column, string cell)
    {
        string text = cell.Trim().Trim('"');
        return byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out byte label) ? label
            : throw DataFormat.Error(path, $"line {line}, label column '{column}': '{text}' is not a whole-number class 0..255");
    }
}

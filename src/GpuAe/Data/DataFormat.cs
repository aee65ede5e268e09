namespace GpuAe.Data;

/// <summary>
/// Builds the errors for malformed data and checkpoint files. <see cref="InvalidDataException"/> is
/// sealed, so instead of a subclass every such error shares one message shape: "path: what was
/// expected, what was found", readable by a user as is, on one line.
/// </summary>
internal static class DataFormat
{
    public static InvalidDataException Error(string path, string detail, Exception? inner = null) =>
        new(OneLine($"{path}: {detail}"), inner);

    /// <summary>Escapes control characters (as \uXXXX), so text a file put into a message — a JSON token the parser
    /// quotes, a line break in a name — cannot break it over lines.</summary>
    public static string OneLine(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString())) : text;
}

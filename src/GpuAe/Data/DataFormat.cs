namespace GpuAe.Data;

/// <summary>
/// Builds the errors for malformed data and checkpoint files. <see cref="InvalidDataException"/> is
/// sealed, so instead of a subclass every such error shares one message shape: "path: what was
/// expected, what was found", readable by a user as is.
/// </summary>
internal static class DataFormat
{
    public static InvalidDataException Error(string path, string detail, Exception? inner = null) =>
        new($"{path}: {detail}", inner);
}

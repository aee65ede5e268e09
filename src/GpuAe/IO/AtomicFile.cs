using System.Text.RegularExpressions;

namespace GpuAe.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: write a temp
/// file in the same folder (same file system, so the rename is atomic), flush it to disk, rename it
/// over the target. On any failure the temp file is deleted and the target is left untouched.
/// A process killed mid-write leaves its temp file (<c>.NAME.GUID.tmp</c>) behind;
/// <see cref="RemoveStaleTemporaries"/> clears them once no writer can be using the folder.
/// </summary>
internal static partial class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        string temp = TemporaryFor(fullPath);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            // Best effort: a failing delete must not hide the error that got us here.
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The temp file a write of <paramref name="fullPath"/> goes through (unique per write).</summary>
    internal static string TemporaryFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Deletes the temp files killed writes left in <paramref name="folder"/> (only names of the form
    /// <c>.NAME.GUID.tmp</c>, GUID as 32 hex digits) and returns their names. Call it only while holding the
    /// folder's <see cref="RunFolderLock"/>: a live writer's temp file looks the same.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string folder)
    {
        var removed = new List<string>();
        foreach (string path in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            string name = Path.GetFileName(path);
            if (!TemporaryName().IsMatch(name)) continue;
            File.Delete(path);
            removed.Add(name);
        }
        removed.Sort(StringComparer.Ordinal);
        return removed;
    }

    [GeneratedRegex("^\\..+\\.[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();
}

using GpuAe.IO;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>
/// Readies the folder a command writes into, before any expensive work: refuses a path that is a file, creates
/// the folder, takes its <see cref="RunFolderLock"/> for the life of the command, removes temp files that killed
/// writes left behind, and proves the folder writable with a probe write.
/// </summary>
internal static class OutputFolder
{
    /// <param name="folder">The folder.</param>
    /// <param name="option">How the user named it, for errors ("--out runs/a").</param>
    /// <param name="command">The command holding the lock ("gpuae train").</param>
    public static RunFolderLock Open(string folder, string option, string command)
    {
        for (string? path = folder; !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
            if (File.Exists(path))
                throw new IOException(path == folder
                    ? $"{option}: {folder} is a file; give a folder to write into"
                    : $"{option}: {path} is a file, so {folder} cannot be a folder");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: cannot create the folder {folder} ({e.Message})", e);
        }
        RunFolderLock held;
        try
        {
            held = RunFolderLock.Acquire(folder, command);
        }
        catch (RunFolderBusyException e)
        {
            throw new RunFolderBusyException($"{option}: {e.Message}", e.HolderPid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: the folder {folder} is not writable ({e.Message})", e);
        }
        try
        {
            if (held.StaleOwner is { } stale)
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape($"{folder}: took over the lock of a process that died ({stale})")}[/]");
            var removed = AtomicFile.RemoveStaleTemporaries(folder);
            if (removed.Count > 0)
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape($"{folder}: removed {removed.Count} temp file(s) left by an interrupted write: {string.Join(", ", removed)}")}[/]");
            ProbeWritable(folder, option);
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    private static void ProbeWritable(string folder, string option)
    {
        try
        {
            AtomicFile.Write(Path.Combine(folder, ".gpuae.probe"), s => s.WriteByte(0));
            File.Delete(Path.Combine(folder, ".gpuae.probe"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: the folder {folder} is not writable ({e.Message})", e);
        }
    }
}

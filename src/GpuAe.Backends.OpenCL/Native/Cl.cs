using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuAe.Backends.OpenCL.Native;

/// <summary>
/// OpenCL 1.2 host API, bound by hand (blittable signatures only). Handles are <c>nint</c>;
/// <c>cl_bitfield</c> parameters (device type, queue properties, memory flags) are 64-bit.
/// The library name "OpenCL" is resolved to libOpenCL.so.1 / OpenCL.dll by <see cref="NativeLibraries"/>.
/// </summary>
internal static unsafe partial class Cl
{
    private const string Lib = NativeLibraries.OpenCl;

    static Cl() => NativeLibraries.EnsureResolver();

    [LibraryImport(Lib)] public static partial int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);
    [LibraryImport(Lib)] public static partial int clGetPlatformInfo(nint platform, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clGetDeviceIDs(nint platform, ulong deviceType, uint numEntries, nint* devices, uint* numDevices);
    [LibraryImport(Lib)] public static partial int clGetDeviceInfo(nint device, uint param, nuint size, void* value, nuint* sizeRet);

    [LibraryImport(Lib)] public static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify, nint userData, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseContext(nint context);
    [LibraryImport(Lib)] public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseCommandQueue(nint queue);
    [LibraryImport(Lib)] public static partial int clFinish(nint queue);
    [LibraryImport(Lib)] public static partial int clFlush(nint queue);

    [LibraryImport(Lib)] public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPtr, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseMemObject(nint memory);
    [LibraryImport(Lib)] public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueCopyBuffer(nint queue, nint source, nint destination, nuint sourceOffset, nuint destinationOffset, nuint size, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(Lib)] public static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* errcode);
    [LibraryImport(Lib)] public static partial nint clCreateProgramWithBinary(nint context, uint numDevices, nint* devices, nuint* lengths, byte** binaries, int* binaryStatus, int* errcode);
    [LibraryImport(Lib)] public static partial int clBuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint notify, nint userData);
    [LibraryImport(Lib)] public static partial int clGetProgramBuildInfo(nint program, nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clGetProgramInfo(nint program, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clReleaseProgram(nint program);

    [LibraryImport(Lib)] public static partial nint clCreateKernel(nint program, byte* name, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseKernel(nint kernel);
    [LibraryImport(Lib)] public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);
    [LibraryImport(Lib)] public static partial int clGetKernelWorkGroupInfo(nint kernel, nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* globalOffset, nuint* globalSize, nuint* localSize, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(Lib)] public static partial int clWaitForEvents(uint numEvents, nint* events);
    [LibraryImport(Lib)] public static partial int clGetEventProfilingInfo(nint evt, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clReleaseEvent(nint evt);

    // ---- constants --------------------------------------------------------------------------
    public const ulong DEVICE_TYPE_CPU = 1 << 1, DEVICE_TYPE_GPU = 1 << 2, DEVICE_TYPE_ACCELERATOR = 1 << 3, DEVICE_TYPE_ALL = 0xFFFFFFFF;
    public const uint PLATFORM_VERSION = 0x0901, PLATFORM_NAME = 0x0902, PLATFORM_VENDOR = 0x0903;
    public const uint DEVICE_TYPE = 0x1000, DEVICE_MAX_COMPUTE_UNITS = 0x1002, DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
        DEVICE_MAX_CLOCK_FREQUENCY = 0x100C, DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, DEVICE_GLOBAL_MEM_SIZE = 0x101F,
        DEVICE_LOCAL_MEM_SIZE = 0x1023, DEVICE_NAME = 0x102B, DEVICE_VENDOR = 0x102C, DRIVER_VERSION = 0x102D,
        DEVICE_VERSION = 0x102F;
    public const ulong QUEUE_PROFILING_ENABLE = 1 << 1;
    public const ulong MEM_READ_WRITE = 1 << 0;
    public const uint PROGRAM_NUM_DEVICES = 0x1162, PROGRAM_BINARY_SIZES = 0x1165, PROGRAM_BINARIES = 0x1166;
    public const uint PROGRAM_BUILD_LOG = 0x1183;
    public const uint KERNEL_WORK_GROUP_SIZE = 0x11B0;
    public const uint PROFILING_COMMAND_START = 0x1282, PROFILING_COMMAND_END = 0x1283;

    // ---- checked helpers --------------------------------------------------------------------

    /// <summary>Throws <see cref="OpenClException"/> naming <paramref name="call"/> and the error when status is not CL_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0) throw new OpenClException(call, status);
    }

    public static string PlatformString(nint platform, uint param)
    {
        nuint size;
        Check(clGetPlatformInfo(platform, param, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) Check(clGetPlatformInfo(platform, param, size, p, null), "clGetPlatformInfo");
        return DecodeCString(bytes);
    }

    public static string DeviceString(nint device, uint param)
    {
        nuint size;
        Check(clGetDeviceInfo(device, param, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) Check(clGetDeviceInfo(device, param, size, p, null), "clGetDeviceInfo");
        return DecodeCString(bytes);
    }

    public static T DeviceValue<T>(nint device, uint param) where T : unmanaged
    {
        T value = default;
        Check(clGetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    public static nint[] Platforms()
    {
        uint count;
        int status = clGetPlatformIDs(0, null, &count);
        if (status == ErrorCodes.PlatformNotFoundKhr || count == 0) return [];
        Check(status, "clGetPlatformIDs");
        var ids = new nint[count];
        fixed (nint* p = ids) Check(clGetPlatformIDs(count, p, null), "clGetPlatformIDs");
        return ids;
    }

    public static nint[] Devices(nint platform)
    {
        uint count;
        int status = clGetDeviceIDs(platform, DEVICE_TYPE_ALL, 0, null, &count);
        if (status == ErrorCodes.DeviceNotFound || count == 0) return [];
        Check(status, "clGetDeviceIDs");
        var ids = new nint[count];
        fixed (nint* p = ids) Check(clGetDeviceIDs(platform, DEVICE_TYPE_ALL, count, p, null), "clGetDeviceIDs");
        return ids;
    }

    public static string BuildLog(nint program, nint device)
    {
        nuint size;
        if (clGetProgramBuildInfo(program, device, PROGRAM_BUILD_LOG, 0, null, &size) != 0) return "(no build log)";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            if (clGetProgramBuildInfo(program, device, PROGRAM_BUILD_LOG, size, p, null) != 0) return "(no build log)";
        return DecodeCString(bytes).Trim();
    }

    private static string DecodeCString(byte[] bytes)
    {
        int end = Array.IndexOf(bytes, (byte)0);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }
}

/// <summary>Finds the OpenCL ICD loader (and CLBlast for the benchmark) on each OS.</summary>
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

    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    /// <summary>True when the ICD loader can be loaded (says nothing about platforms).</summary>
    public static bool TryLoad(string name, out nint handle)
    {
        foreach (var candidate in name == OpenCl ? OpenClCandidates : ClBlastCandidates)
            if (NativeLibrary.TryLoad(candidate, out handle)) return true;
        handle = 0;
        return false;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        => (name == OpenCl || name == ClBlast) && TryLoad(name, out var handle) ? handle : 0;
}

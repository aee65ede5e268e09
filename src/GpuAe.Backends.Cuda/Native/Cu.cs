using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuAe.Backends.Cuda.Native;

/// <summary>
/// The CUDA driver API calls the backend uses, bound by hand with blittable signatures (ManagedCuda is
/// not on the NuGet mirror). Export names carry the ABI suffixes (<c>_v2</c>, <c>_v3</c>) the CUDA 11+
/// headers map the plain names to. Device pointers are <c>ulong</c> (CUdeviceptr), handles <c>nint</c>.
/// "cuda" resolves to libcuda.so.1 (Linux) or nvcuda.dll (Windows): the driver, not the toolkit.
/// </summary>
internal static unsafe partial class Cu
{
    private const string Lib = "cuda";
    private static int _resolverSet;

    static Cu() => EnsureResolver();

    /// <summary>The driver library file name on this OS.</summary>
    public static string DriverFileName => OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";

    /// <summary>True when the driver library loads (no GPU needed to answer).</summary>
    public static bool IsDriverAvailable
    {
        get
        {
            if (!NativeLibrary.TryLoad(DriverFileName, out var handle)) return false;
            NativeLibrary.Free(handle);
            return true;
        }
    }

    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 1) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Cu).Assembly, static (name, assembly, path) =>
                name == Lib && NativeLibrary.TryLoad(DriverFileName, assembly, path, out var handle) ? handle : 0);
        }
        catch (InvalidOperationException) { /* a resolver is already set for this assembly */ }
    }

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, byte** text);

    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(nuint* bytes, int device);

    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib, EntryPoint = "cuCtxPushCurrent_v2")] public static partial int cuCtxPushCurrent(nint context);
    [LibraryImport(Lib, EntryPoint = "cuCtxPopCurrent_v2")] public static partial int cuCtxPopCurrent(nint* context);
    [LibraryImport(Lib)] public static partial int cuCtxGetDevice(int* device);
    [LibraryImport(Lib, EntryPoint = "cuMemGetAddressRange_v2")] public static partial int cuMemGetAddressRange(ulong* pointerBase, nuint* bytes, ulong pointer);

    [LibraryImport(Lib)] public static partial int cuModuleLoadDataEx(nint* module, void* image, uint numOptions, int* options, void** optionValues);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib)] public static partial int cuModuleGetFunction(nint* function, nint module, byte* name);

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(ulong* pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int cuMemGetInfo(nuint* free, nuint* total);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemAllocHost_v2")] public static partial int cuMemAllocHost(void** pointer, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemFreeHost(void* pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Lib)] public static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamWaitEvent(nint stream, nint evt, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventCreate(nint* evt, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Lib)] public static partial int cuEventElapsedTime(float* milliseconds, nint start, nint end);

    [LibraryImport(Lib)] public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(Lib, EntryPoint = "cuStreamBeginCapture_v2")] public static partial int cuStreamBeginCapture(nint stream, int mode);
    [LibraryImport(Lib)] public static partial int cuStreamEndCapture(nint stream, nint* graph);
    [LibraryImport(Lib, EntryPoint = "cuGraphInstantiateWithFlags")] public static partial int cuGraphInstantiateWithFlags(nint* graphExec, nint graph, ulong flags);
    [LibraryImport(Lib)] public static partial int cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(Lib)] public static partial int cuGraphDestroy(nint graph);
    [LibraryImport(Lib)] public static partial int cuGraphExecDestroy(nint graphExec);
    [LibraryImport(Lib)] public static partial int cuGraphGetNodes(nint graph, nint* nodes, nuint* count);

    // ---- constants (cuda.h) --------------------------------------------------------------------
    public const int CUDA_SUCCESS = 0;
    public const int ATTR_MAX_THREADS_PER_BLOCK = 1, ATTR_MAX_GRID_DIM_Y = 6, ATTR_MAX_GRID_DIM_Z = 7,
        ATTR_MULTIPROCESSOR_COUNT = 16, ATTR_COMPUTE_CAPABILITY_MAJOR = 75, ATTR_COMPUTE_CAPABILITY_MINOR = 76;
    public const int JIT_INFO_LOG_BUFFER = 3, JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4, JIT_ERROR_LOG_BUFFER = 5,
        JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    public const uint STREAM_NON_BLOCKING = 1;
    public const uint EVENT_DISABLE_TIMING = 2;
    public const int STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
}

using System.Text;
using GpuAe.Backends.Cuda.Native;

namespace GpuAe.Backends.Cuda;

/// <summary>The real driver: one device, its primary context made current on the calling thread.</summary>
internal sealed unsafe class CudaDriver : ICudaDriver
{
    private readonly int _device;
    private readonly nint _context;
    private readonly bool _ownsContext;   // false on a caller's context (OpenOnContext): never released here
    private readonly Dictionary<nint, nint> _graphs = [];   // exec -> graph
    private bool _disposed;

    private CudaDriver(int device, nint context, CudaDeviceInfo info, bool ownsContext = true)
    {
        _device = device;
        _context = context;
        _ownsContext = ownsContext;
        Device = info;
    }

    public CudaDeviceInfo Device { get; }

    /// <summary>Opens device <paramref name="ordinal"/>; false with a reason when there is no driver or no device.</summary>
    public static bool TryOpen(int ordinal, out CudaDriver? driver, out string reason) =>
        TryOpen(ordinal, Cu.DriverFileName, out driver, out reason);

    /// <summary>As <see cref="TryOpen(int, out CudaDriver?, out string)"/>; <paramref name="driverLibrary"/> is
    /// what must load first (tests name a missing one to see the no-driver path on any machine).</summary>
    internal static bool TryOpen(int ordinal, string driverLibrary, out CudaDriver? driver, out string reason)
    {
        driver = null;
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(driverLibrary, out var probe))
        {
            reason = $"no CUDA driver ({driverLibrary}) found";
            return false;
        }
        System.Runtime.InteropServices.NativeLibrary.Free(probe);
        try
        {
            Cu.EnsureResolver();
            Check(Cu.cuInit(0), "cuInit");
            int count, version, device;
            Check(Cu.cuDriverGetVersion(&version), "cuDriverGetVersion");
            Check(Cu.cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0) { reason = "the CUDA driver reports no device"; return false; }
            if (ordinal < 0 || ordinal >= count) { reason = $"no CUDA device {ordinal} (found {count})"; return false; }
            Check(Cu.cuDeviceGet(&device, ordinal), "cuDeviceGet");
            var info = Describe(device, ordinal, version);
            nint context;
            Check(Cu.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
            Check(Cu.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            driver = new CudaDriver(device, context, info);
            reason = "";
            return true;
        }
        catch (CudaException e)
        {
            reason = e.Message;
            return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"the CUDA driver ({Cu.DriverFileName}) cannot be used: {e.Message}";
            return false;
        }
    }

    private static CudaDeviceInfo Describe(int device, int ordinal, int driverVersion)
    {
        byte* name = stackalloc byte[256];
        Check(Cu.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        nuint total;
        Check(Cu.cuDeviceTotalMem(&total, device), "cuDeviceTotalMem");
        return new CudaDeviceInfo(ordinal, new string((sbyte*)name),
            Attribute(device, Cu.ATTR_COMPUTE_CAPABILITY_MAJOR), Attribute(device, Cu.ATTR_COMPUTE_CAPABILITY_MINOR),
            Attribute(device, Cu.ATTR_MULTIPROCESSOR_COUNT), (long)total, driverVersion,
            Attribute(device, Cu.ATTR_MAX_GRID_DIM_Y), Attribute(device, Cu.ATTR_MAX_GRID_DIM_Z));
    }

    /// <summary>
    /// The driver on a caller's context (not retained, never released or made current for good: a caller's
    /// backend wraps this in <see cref="ContextScopedDriver"/>, which pushes it around every call).
    /// </summary>
    /// <exception cref="BackendUnavailableException">No CUDA driver here, or it does not start (no GPU).</exception>
    /// <exception cref="ArgumentException">The context is not valid (cuCtxPushCurrent or cuCtxGetDevice fails).</exception>
    internal static CudaDriver OpenOnContext(nint context, string driverLibrary)
    {
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(driverLibrary, out var probe))
            throw new BackendUnavailableException($"cuda: no CUDA driver ({driverLibrary}) found");
        System.Runtime.InteropServices.NativeLibrary.Free(probe);
        Cu.EnsureResolver();
        int started = Cu.cuInit(0);
        if (started != Cu.CUDA_SUCCESS) throw new BackendUnavailableException($"cuda: {Describe(started, "cuInit")}");
        int version, device;
        Check(Cu.cuDriverGetVersion(&version), "cuDriverGetVersion");
        int pushed = Cu.cuCtxPushCurrent(context);
        if (pushed != Cu.CUDA_SUCCESS)
            throw new ArgumentException($"the CUDA context 0x{context:x} cannot be made current: {Describe(pushed, "cuCtxPushCurrent")}");
        try
        {
            int found = Cu.cuCtxGetDevice(&device);
            if (found != Cu.CUDA_SUCCESS)
                throw new ArgumentException($"the CUDA context 0x{context:x} has no device: {Describe(found, "cuCtxGetDevice")}");
            // a CUdevice is its ordinal (cuDeviceGet(&d, n) gives d = n)
            return new CudaDriver(device, context, Describe(device, device, version), ownsContext: false);
        }
        finally
        {
            nint popped;
            Cu.cuCtxPopCurrent(&popped);
        }
    }

    private static int Attribute(int device, int attribute)
    {
        int value;
        Check(Cu.cuDeviceGetAttribute(&value, attribute, device), $"cuDeviceGetAttribute({attribute})");
        return value;
    }

    /// <summary>Throws <see cref="CudaException"/> naming the call and the error unless <paramref name="result"/> is success.</summary>
    public static void Check(int result, string call)
    {
        if (result != Cu.CUDA_SUCCESS) throw new CudaException(Describe(result, call), result);
    }

    public static string Describe(int result, string call)
    {
        string name = $"CUresult {result}", text = "";
        try
        {
            byte* p;
            if (Cu.cuGetErrorName(result, &p) == 0 && p != null) name = new string((sbyte*)p);
            if (Cu.cuGetErrorString(result, &p) == 0 && p != null) text = ": " + new string((sbyte*)p);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return $"{call} failed: {name} ({result}){text}";
    }

    public nint LoadModule(string name, ReadOnlySpan<byte> ptx)
    {
        const int LogBytes = 16384;
        var image = new byte[ptx.Length + 1];   // NUL-terminated PTX text; once per module
        ptx.CopyTo(image);
        byte* errorLog = stackalloc byte[LogBytes];
        byte* infoLog = stackalloc byte[LogBytes];
        errorLog[0] = 0;
        infoLog[0] = 0;
        int* options = stackalloc int[4] { Cu.JIT_ERROR_LOG_BUFFER, Cu.JIT_ERROR_LOG_BUFFER_SIZE_BYTES, Cu.JIT_INFO_LOG_BUFFER, Cu.JIT_INFO_LOG_BUFFER_SIZE_BYTES };
        void** values = stackalloc void*[4] { errorLog, (void*)(nint)LogBytes, infoLog, (void*)(nint)LogBytes };
        nint module;
        int result;
        fixed (byte* p = image) result = Cu.cuModuleLoadDataEx(&module, p, 4, options, values);
        if (result != 0)
        {
            var log = new string((sbyte*)errorLog).Trim();
            throw new CudaException(Describe(result, $"cuModuleLoadDataEx({name} on {Device.Name}, sm_{Device.ComputeCapability})")
                + (log.Length > 0 ? $"\nJIT error log:\n{log}" : "\n(the JIT error log is empty)"), result);
        }
        return module;
    }

    public nint GetFunction(nint module, string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        nint function;
        fixed (byte* p = bytes) Check(Cu.cuModuleGetFunction(&function, module, p), $"cuModuleGetFunction({name})");
        return function;
    }

    public ulong Allocate(long bytes)
    {
        ulong pointer;
        int result = Cu.cuMemAlloc(&pointer, (nuint)Math.Max(bytes, 4));
        if (result == 2) // CUDA_ERROR_OUT_OF_MEMORY
            throw new InsufficientMemoryException(Describe(result, $"cuMemAlloc({bytes} bytes on {Device.Name})"));
        Check(result, $"cuMemAlloc({bytes} bytes)");
        return pointer;
    }

    public (long Free, long Total) MemoryInfo()
    {
        nuint free, total;
        Check(Cu.cuMemGetInfo(&free, &total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    public void Free(ulong pointer) => Check(Cu.cuMemFree(pointer), "cuMemFree");

    public (ulong Base, long Bytes) AddressRange(ulong pointer)
    {
        ulong start;
        nuint bytes;
        Check(Cu.cuMemGetAddressRange(&start, &bytes, pointer), $"cuMemGetAddressRange(0x{pointer:x})");
        return (start, (long)bytes);
    }

    public void* AllocatePinned(long bytes)
    {
        void* p;
        Check(Cu.cuMemAllocHost(&p, (nuint)Math.Max(bytes, 4)), $"cuMemAllocHost({bytes} bytes)");
        return p;
    }

    public void FreePinned(void* pointer) => Check(Cu.cuMemFreeHost(pointer), "cuMemFreeHost");

    public void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream) =>
        Check(Cu.cuMemcpyHtoDAsync(destination, source, (nuint)bytes, stream), $"cuMemcpyHtoDAsync({bytes} bytes)");

    public void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream) =>
        Check(Cu.cuMemcpyDtoHAsync(destination, source, (nuint)bytes, stream), $"cuMemcpyDtoHAsync({bytes} bytes)");

    public void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream) =>
        Check(Cu.cuMemcpyDtoDAsync(destination, source, (nuint)bytes, stream), $"cuMemcpyDtoDAsync({bytes} bytes)");

    public nint CreateStream()
    {
        nint s;
        Check(Cu.cuStreamCreate(&s, Cu.STREAM_NON_BLOCKING), "cuStreamCreate");
        return s;
    }

    public void DestroyStream(nint stream) => Check(Cu.cuStreamDestroy(stream), "cuStreamDestroy");
    public void SynchronizeStream(nint stream) => Check(Cu.cuStreamSynchronize(stream), "cuStreamSynchronize");

    public nint CreateEvent()
    {
        nint e;
        Check(Cu.cuEventCreate(&e, Cu.EVENT_DISABLE_TIMING), "cuEventCreate");
        return e;
    }

    public void DestroyEvent(nint evt) => Check(Cu.cuEventDestroy(evt), "cuEventDestroy");
    public void RecordEvent(nint evt, nint stream) => Check(Cu.cuEventRecord(evt, stream), "cuEventRecord");
    public void WaitEvent(nint stream, nint evt) => Check(Cu.cuStreamWaitEvent(stream, evt, 0), "cuStreamWaitEvent");

    public void Launch(nint function, in LaunchGeometry g, uint sharedBytes, nint stream, void** arguments)
    {
        int result = Cu.cuLaunchKernel(function, g.GridX, g.GridY, g.GridZ, g.BlockX, g.BlockY, g.BlockZ, sharedBytes, stream, arguments, null);
        if (result != 0) Check(result, $"cuLaunchKernel({g})");
    }

    public void BeginCapture(nint stream) => Check(Cu.cuStreamBeginCapture(stream, Cu.STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");

    public nint EndCaptureAndInstantiate(nint stream)
    {
        nint graph, exec;
        Check(Cu.cuStreamEndCapture(stream, &graph), "cuStreamEndCapture");
        int result = Cu.cuGraphInstantiateWithFlags(&exec, graph, 0);
        if (result != 0) { Cu.cuGraphDestroy(graph); Check(result, "cuGraphInstantiateWithFlags"); }
        _graphs[exec] = graph;
        return exec;
    }

    public void LaunchGraph(nint graphExec, nint stream) => Check(Cu.cuGraphLaunch(graphExec, stream), "cuGraphLaunch");

    public void DestroyGraph(nint graphExec)
    {
        Cu.cuGraphExecDestroy(graphExec);
        if (_graphs.Remove(graphExec, out var graph)) Cu.cuGraphDestroy(graph);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var exec in _graphs.Keys.ToArray()) DestroyGraph(exec);
        if (_ownsContext) Cu.cuDevicePrimaryCtxRelease(_device);
        _ = _context;
    }
}

/// <summary>The real current-context stack of the calling thread.</summary>
internal sealed unsafe class CudaContextStack : ICudaContextStack
{
    public void Push(nint context) => CudaDriver.Check(Cu.cuCtxPushCurrent(context), "cuCtxPushCurrent");

    public nint Pop()
    {
        nint context;
        CudaDriver.Check(Cu.cuCtxPopCurrent(&context), "cuCtxPopCurrent");
        return context;
    }
}

namespace GpuAe.Backends.Cuda;

/// <summary>Launch geometry of one kernel: grid and block in threads-per-block units (CUDA's dim3 pair).</summary>
public readonly record struct LaunchGeometry(uint GridX, uint GridY, uint GridZ, uint BlockX, uint BlockY = 1, uint BlockZ = 1)
{
    public long Threads => (long)GridX * GridY * GridZ * BlockX * BlockY * BlockZ;
    public override string ToString() => $"grid ({GridX},{GridY},{GridZ}) block ({BlockX},{BlockY},{BlockZ})";
}

/// <summary>What the GPU the backend opened can do (the attributes the launch code consults).</summary>
public readonly record struct CudaDeviceInfo(int Ordinal, string Name, int ComputeMajor, int ComputeMinor,
    int Multiprocessors, long TotalBytes, int DriverVersion, int MaxGridY = 65535, int MaxGridZ = 65535)
{
    public int ComputeCapability => ComputeMajor * 10 + ComputeMinor;
}

/// <summary>
/// The driver operations the CUDA backend uses, as one interface: <see cref="CudaDriver"/> calls the real
/// driver API; tests substitute a fake that records launches, copies and capture calls, so launch
/// geometry, argument packing and graph-capture bookkeeping are checked without a GPU. Every method
/// throws <see cref="CudaException"/> on failure. No method allocates managed memory on the launch path.
/// </summary>
public unsafe interface ICudaDriver : IDisposable
{
    CudaDeviceInfo Device { get; }

    nint LoadModule(string name, ReadOnlySpan<byte> ptx);
    nint GetFunction(nint module, string name);

    /// <summary>Device memory; throws <see cref="InsufficientMemoryException"/> when the device has no room.</summary>
    ulong Allocate(long bytes);
    /// <summary>Free and total device memory in bytes now (cuMemGetInfo), for out-of-memory messages.</summary>
    (long Free, long Total) MemoryInfo();
    void Free(ulong pointer);
    /// <summary>The allocation <paramref name="pointer"/> lies in: its base and size in bytes (cuMemGetAddressRange), to
    /// bounds-check a caller's device pointer. Throws <see cref="CudaException"/> when it is not device memory of the context.</summary>
    (ulong Base, long Bytes) AddressRange(ulong pointer);
    void* AllocatePinned(long bytes);
    void FreePinned(void* pointer);
    void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream);
    void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream);
    void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream);

    nint CreateStream();
    void DestroyStream(nint stream);
    void SynchronizeStream(nint stream);
    nint CreateEvent();
    void DestroyEvent(nint evt);
    void RecordEvent(nint evt, nint stream);
    void WaitEvent(nint stream, nint evt);

    /// <summary>Enqueues <paramref name="function"/>; <paramref name="arguments"/> points at one pointer per
    /// kernel parameter, each to the parameter's value (cuLaunchKernel's kernelParams).</summary>
    void Launch(nint function, in LaunchGeometry geometry, uint sharedBytes, nint stream, void** arguments);

    void BeginCapture(nint stream);
    /// <summary>Ends capture and instantiates the graph; returns the executable graph.</summary>
    nint EndCaptureAndInstantiate(nint stream);
    void LaunchGraph(nint graphExec, nint stream);
    void DestroyGraph(nint graphExec);
}

/// <summary>
/// The calling thread's stack of current CUDA contexts (cuCtxPushCurrent / cuCtxPopCurrent). A backend on a caller's
/// context (<see cref="CudaBackend.CreateOnStream"/>) pushes that context around each driver call and pops it after,
/// so whatever context the caller's thread had current is current again when GpuAe returns.
/// </summary>
public interface ICudaContextStack
{
    void Push(nint context);
    /// <summary>Pops the thread's current context and returns it.</summary>
    nint Pop();
}

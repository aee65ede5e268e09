using GpuAe.Backends;
using GpuAe.Backends.Cuda;

namespace GpuAe.Tests.Cuda;

/// <summary>
/// A driver with no GPU behind it: allocations are address ranges, launches are recorded with their
/// geometry and the argument values decoded through the PTX signature. Lets the backend's bookkeeping
/// (argument packing, geometry, streams, capture) run in CI. Capture follows CUDA's rules for a fork: a stream
/// joins the capture by waiting on an event recorded in it, work on a stream outside the capture is an error
/// (it would run now, not in the graph), and ending the capture fails while a joined stream has work the origin
/// stream has not waited for (CUDA_ERROR_STREAM_CAPTURE_UNJOINED).
/// </summary>
internal sealed unsafe class FakeCudaDriver : ICudaDriver
{
    public sealed record Launched(string Entry, LaunchGeometry Geometry, nint Stream, object[] Arguments);

    private ulong _next = 0x1000_0000;
    private readonly Dictionary<ulong, long> _allocations = [];
    private readonly Dictionary<nint, (string Module, string Entry)> _functions = [];
    private readonly Dictionary<string, PtxModule> _modules = [];
    private nint _handles = 100;
    private nint _capturing;
    private readonly Dictionary<nint, int> _tips = [];                          // per stream in the capture: work so far
    private readonly Dictionary<nint, (nint Stream, int Tip)> _recorded = [];   // event -> the stream point it holds
    private readonly Dictionary<(nint Waiter, nint Stream), int> _waited = [];  // how far a stream waited for another

    public FakeCudaDriver(int computeCapability = 90, int multiprocessors = 132, int maxGridY = 65535)
    {
        Device = new CudaDeviceInfo(0, "Fake GPU", computeCapability / 10, computeCapability % 10, multiprocessors, 80L << 30, 13000, maxGridY, 65535);
    }

    public CudaDeviceInfo Device { get; }

    /// <summary>When set, the thread's current context (of a fake context stack): launches, copies and syncs then
    /// note it in <see cref="Calls"/> (" in c0x…"), so tests see which context each ran in.</summary>
    public Func<nint>? CurrentContext { get; set; }

    private string InContext() => CurrentContext is { } current ? $" in c0x{current():x}" : "";

    public List<Launched> Launches { get; } = [];
    /// <summary>Every driver call in order ("launch gemm_f32_t64_nn", "record e1 on s1", "begin capture" ...).</summary>
    public List<string> Calls { get; } = [];
    public List<(ulong Destination, byte[] Bytes)> HostToDevice { get; } = [];
    public List<string> LoadedModules { get; } = [];
    public int LiveAllocations => _allocations.Count;

    public nint LoadModule(string name, ReadOnlySpan<byte> ptx)
    {
        var family = name.Replace(".ptx", "");
        var module = PtxModule.Parse(family, System.Text.Encoding.ASCII.GetString(ptx));
        if (module.TargetComputeCapability > Device.ComputeCapability)
            throw new CudaException($"cuModuleLoadDataEx({name}) failed: CUDA_ERROR_NO_BINARY_FOR_GPU (209)", 209);
        _modules[family] = module;
        LoadedModules.Add(family);
        return ++_handles;
    }

    public nint GetFunction(nint module, string name)
    {
        var family = _modules.First(m => m.Value.Entries.ContainsKey(name)).Key;
        var handle = ++_handles;
        _functions[handle] = (family, name);
        return handle;
    }

    /// <summary>Device memory the fake has in all (the device's 80 GiB unless a test lowers it to force an out-of-memory).</summary>
    public long MemoryBytes { get; set; } = 80L << 30;
    public long AllocatedBytes => _allocations.Values.Sum();

    public ulong Allocate(long bytes)
    {
        if (AllocatedBytes + bytes > MemoryBytes)   // as cuMemAlloc_v2 answers, through CudaDriver.Describe
            throw new InsufficientMemoryException($"cuMemAlloc({bytes} bytes on {Device.Name}) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory");
        var p = _next;
        _next += (ulong)((bytes + 255) / 256 * 256 + 256);
        _allocations[p] = bytes;
        return p;
    }

    public (long Free, long Total) MemoryInfo() => (MemoryBytes - AllocatedBytes, MemoryBytes);

    public void Free(ulong pointer)
    {
        if (!_allocations.Remove(pointer)) throw new InvalidOperationException($"double free of 0x{pointer:x}");
    }

    public (ulong Base, long Bytes) AddressRange(ulong pointer)
    {
        foreach (var (start, bytes) in _allocations)
            if (pointer >= start && pointer < start + (ulong)Math.Max(bytes, 4)) return (start, Math.Max(bytes, 4));
        throw new CudaException($"cuMemGetAddressRange(0x{pointer:x}) failed: CUDA_ERROR_NOT_FOUND (500)", 500);
    }

    public void* AllocatePinned(long bytes) => System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)bytes, 64);
    public void FreePinned(void* pointer) => System.Runtime.InteropServices.NativeMemory.AlignedFree(pointer);

    public void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream)
    {
        Calls.Add($"htod {bytes} on s{stream}{InContext()}");
        HostToDevice.Add((destination, new ReadOnlySpan<byte>(source, (int)bytes).ToArray()));
    }

    public void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream)
    {
        Calls.Add($"dtoh {bytes} on s{stream}{InContext()}");
        new Span<byte>(destination, (int)bytes).Clear();
    }

    public void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream)
    {
        Work(stream, "a device-to-device copy");
        Calls.Add($"dtod {bytes} on s{stream}{InContext()}");
    }

    public nint CreateStream()
    {
        Calls.Add($"create s{++_handles}");
        return _handles;
    }

    public void DestroyStream(nint stream) => Calls.Add($"destroy s{stream}");
    public void SynchronizeStream(nint stream)
    {
        if (_capturing != 0) throw new CudaException("cuStreamSynchronize failed: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900)", 900);
        Calls.Add($"sync s{stream}{InContext()}");
    }
    public nint CreateEvent() => ++_handles;
    public void DestroyEvent(nint evt) { }
    public void RecordEvent(nint evt, nint stream)
    {
        Calls.Add($"record e{evt} on s{stream}");
        _recorded[evt] = (stream, _tips.GetValueOrDefault(stream));
    }

    public void WaitEvent(nint stream, nint evt)
    {
        Calls.Add($"s{stream} waits e{evt}");
        if (_capturing == 0 || !_recorded.TryGetValue(evt, out var point) || !_tips.ContainsKey(point.Stream)) return;
        _tips[stream] = _tips.GetValueOrDefault(stream) + 1;   // joins the capture (or moves its join point on)
        _waited[(stream, point.Stream)] = Math.Max(_waited.GetValueOrDefault((stream, point.Stream)), point.Tip);
    }

    private void Work(nint stream, string what)
    {
        if (_capturing == 0) return;
        if (!_tips.TryGetValue(stream, out int tip))
            throw new InvalidOperationException($"{what} on stream s{stream}, which is not part of the capture on s{_capturing}");
        _tips[stream] = tip + 1;
    }

    public void Launch(nint function, in LaunchGeometry geometry, uint sharedBytes, nint stream, void** arguments)
    {
        var (family, entry) = _functions[function];
        var signature = _modules[family].Entries[entry];
        var values = new object[signature.Count];
        for (int i = 0; i < signature.Count; i++)
        {
            void* p = arguments[i];
            var kind = signature[i];
            long alignment = kind == ParamKind.UInt64 ? 8 : 4;
            if ((long)p % alignment != 0) throw new InvalidOperationException($"{entry}: argument {i} is misaligned");
            values[i] = kind switch { ParamKind.Int32 => *(int*)p, ParamKind.Float32 => *(float*)p, _ => (object)*(ulong*)p };
        }
        if (geometry.GridX == 0 || geometry.GridY == 0 || geometry.GridZ == 0 || geometry.BlockX == 0 || geometry.BlockY == 0 || geometry.BlockZ == 0)
            throw new InvalidOperationException($"{entry}: empty launch {geometry}");
        if ((long)geometry.BlockX * geometry.BlockY * geometry.BlockZ > 1024) throw new InvalidOperationException($"{entry}: block too large {geometry}");
        if (geometry.GridY > Device.MaxGridY || geometry.GridZ > Device.MaxGridZ) throw new InvalidOperationException($"{entry}: grid too large {geometry}");
        Work(stream, entry);
        Launches.Add(new Launched(entry, geometry, stream, values));
        Calls.Add($"launch {entry} on s{stream}{InContext()}");
    }

    public void BeginCapture(nint stream)
    {
        _capturing = stream;
        _tips.Clear();
        _recorded.Clear();
        _waited.Clear();
        _tips[stream] = 0;
        Calls.Add($"begin capture s{stream}");
    }

    public nint EndCaptureAndInstantiate(nint stream)
    {
        if (_capturing != stream) throw new InvalidOperationException("capture ended on another stream");
        _capturing = 0;
        Calls.Add($"end capture s{stream}");
        foreach (var (member, tip) in _tips)
            if (member != stream && _waited.GetValueOrDefault((stream, member)) < tip)
                throw new CudaException("cuStreamEndCapture failed: CUDA_ERROR_STREAM_CAPTURE_UNJOINED (904)", 904);
        return ++_handles;
    }

    public void LaunchGraph(nint graphExec, nint stream) => Calls.Add($"graph g{graphExec} on s{stream}");
    public void DestroyGraph(nint graphExec) => Calls.Add($"destroy g{graphExec}");
    public void Dispose() => Calls.Add("dispose");

    /// <summary>True when [pointer, pointer+bytes) lies inside one live allocation.</summary>
    public bool IsInside(ulong pointer, long bytes) =>
        _allocations.Any(a => pointer >= a.Key && pointer + (ulong)bytes <= a.Key + (ulong)Math.Max(a.Value, 4));
}

using GpuAe.Backends.OpenCL.Native;
using Silk.NET.OpenCL;
using ErrorCodes = GpuAe.Backends.OpenCL.Native.ErrorCodes;

namespace GpuAe.Backends.OpenCL;

/// <summary>Options for <see cref="OpenClBackend.TryCreate(string?, OpenClOptions?, out OpenClBackend?, out string)"/>.</summary>
public sealed record OpenClOptions
{
    /// <summary>Overrides the per-device GEMM table entry (e.g. to run the tiled variant on a CPU device).</summary>
    public GemmConfig? Gemm { get; init; }

    /// <summary>Work-group size of the reductions (Sum, Loss, RowSums, per-row bias gradient), a power of two.
    /// Default 1 on CPU devices (sequential chunks), 64 on GPUs (tree in local memory).</summary>
    public int? ReduceWorkGroupSize { get; init; }

    /// <summary>Convolutions by the direct kernels (true) or im2col + GEMM (false) for every geometry; null: the backend's rule.</summary>
    public bool? DirectConvolution { get; init; }

    /// <summary>Program-binary cache directory; null uses <see cref="ProgramCache.DefaultDirectory"/>, "" disables it.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Record a profiling event for every launch (benchmarks read <see cref="OpenClBackend.LastKernelNanoseconds"/>).</summary>
    public bool ProfileLaunches { get; init; }

    /// <summary>Diagnostics: wait for every launch and add its device time to <see cref="OpenClBackend.KernelProfile"/>
    /// (serialises the queue; for finding where time goes, not for timing runs).</summary>
    public bool ProfileKernels { get; init; }
}

/// <summary>
/// The OpenCL backend: every kernel of <see cref="IBackend"/> as a hand-written OpenCL kernel
/// (kernels/opencl/*.cl), one in-order profiling queue on one device, through Silk.NET.OpenCL. The argument checks
/// and packing of every ABI method live in <see cref="GpuBackend"/>; this class turns a launch into an NDRange,
/// and keeps what only OpenCL does: programs built lazily per family and cached on disk, the GEMM variants
/// (register-blocked with packed B on CPU devices, tiled on GPUs) and the element-parallel loss of CPU devices.
/// Not thread-safe (one queue, kernel arguments set per launch). Nothing is allocated per launch: arguments
/// come from the stack.
/// </summary>
// every launch stackallocs its argument block and writes each value before it is read: skip zeroing it
[System.Runtime.CompilerServices.SkipLocalsInit]
public sealed unsafe class OpenClBackend : GpuBackend
{
    private const int ElementwiseLocal = 256;

    private readonly CL _cl;
    private readonly nint _context, _queue, _device;
    private readonly ProgramCache _cache;
    private readonly Dictionary<string, nint> _programs = new(StringComparer.Ordinal);   // family -> program
    private readonly KernelTable<nint> _kernels;
    private readonly nint _partials;   // ReduceGroups floats: stage-1 results of Sum and Loss
    private readonly nint _dummy;      // bound where an optional buffer is absent
    private readonly bool _profile;
    private nint _lastEvent;
    private readonly Dictionary<string, (int Launches, long Nanoseconds)>? _kernelProfile;
    private nint _scratch;             // B packed into 16-column panels for the register-blocked GEMM (grow-only)
    private long _scratchElements;
    private nint _terms;               // per-element loss terms on CPU devices (grow-only)
    private int _termsElements;

    private readonly bool _borrowed;   // the queue and context are the caller's (CreateOnQueue)

    /// <summary>Opens <paramref name="device"/> in a context and in-order queue of its own.</summary>
    private OpenClBackend(OpenClDeviceInfo info, nint device, OpenClOptions options)
        : this(info, device, OwnContextAndQueue(device), options, borrowed: false)
    {
    }

    private static (nint Context, nint Queue) OwnContextAndQueue(nint device)
    {
        var cl = Cl.Api;
        int status;
        nint d = device;
        nint context = cl.CreateContext(null, 1, &d, null, null, &status);
        Cl.Check(status, "clCreateContext");
        nint queue = cl.CreateCommandQueue(context, device, CommandQueueProperties.ProfilingEnable, &status);
        if (status != 0) { cl.ReleaseContext(context); Cl.Check(status, "clCreateCommandQueue"); }
        return (context, queue);
    }

    /// <summary>Runs on <paramref name="handles"/>, whose references pass to this backend (released by <see cref="ReleaseDevice"/>).</summary>
    private OpenClBackend(OpenClDeviceInfo info, nint device, (nint Context, nint Queue) handles, OpenClOptions options, bool borrowed)
        : base("OpenCL", ReduceLocalFor(info, options))
    {
        _cl = Cl.Api;
        Device = info;
        _device = device;
        GemmTuning = options.Gemm ?? GemmConfig.For(info);
        DirectConvolution = options.DirectConvolution;
        GemmTuning.Validate(info.MaxWorkGroupSize);
        _profile = options.ProfileLaunches || options.ProfileKernels;
        if (options.ProfileKernels) _kernelProfile = new Dictionary<string, (int, long)>(StringComparer.Ordinal);
        _kernels = new KernelTable<nint>(CreateKernel);
        (_context, _queue) = handles;
        _borrowed = borrowed;
        var deviceKey = $"{info.Platform}|{info.PlatformVersion}|{info.Name}|{info.Version}|{info.DriverVersion}";
        var directory = options.CacheDirectory is null ? ProgramCache.DefaultDirectory()
            : options.CacheDirectory.Length == 0 ? null : options.CacheDirectory;
        _cache = new ProgramCache(_context, device, deviceKey, directory);
        _partials = AllocateMemory(ReduceGroups * sizeof(float));
        _dummy = AllocateMemory(16 * sizeof(float));
    }

    private static int ReduceLocalFor(OpenClDeviceInfo info, OpenClOptions options)
    {
        int local = options.ReduceWorkGroupSize ?? (info.Type == "CPU" ? 1 : 64);
        if (local < 1 || (local & (local - 1)) != 0 || local > info.MaxWorkGroupSize)
            throw new ArgumentOutOfRangeException(nameof(options), local, "reduction work-group size must be a power of two within the device limit");
        return local;
    }

    /// <summary>
    /// Opens the device chosen by <paramref name="deviceSelector"/> (see <see cref="OpenClDevices"/>).
    /// False, with a reason such as "no OpenCL ICD loader (libOpenCL.so.1) found" or "no OpenCL
    /// platform", when OpenCL is not usable here — <c>--backend auto</c> then moves on.
    /// </summary>
    public static bool TryCreate(string? deviceSelector, out OpenClBackend? backend, out string reason)
        => TryCreate(deviceSelector, null, out backend, out reason);

    /// <inheritdoc cref="TryCreate(string?, out OpenClBackend?, out string)"/>
    public static bool TryCreate(string? deviceSelector, OpenClOptions? options, out OpenClBackend? backend, out string reason)
    {
        backend = null;
        if (!OpenClDevices.IsLoaderAvailable)
        {
            reason = $"no OpenCL ICD loader ({NativeLibraries.OpenClLoaderName}) found";
            return false;
        }
        try
        {
            if (!OpenClDevices.TrySelect(deviceSelector, out var info, out var device, out reason)) return false;
            backend = new OpenClBackend(info!, device, options ?? new OpenClOptions());
            reason = "";
            return true;
        }
        catch (OpenClException e)
        {
            reason = e.Message;
            return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or FileNotFoundException)
        {
            reason = $"the OpenCL ICD loader could not be used ({e.Message})";
            return false;
        }
    }

    /// <summary>
    /// A backend that runs on the caller's OpenCL context and in-order command queue (an engine that owns its device):
    /// every kernel, copy and transfer is enqueued on <paramref name="queue"/>, in order with the caller's own work.
    /// It creates no context or queue and synchronises only in <see cref="Synchronize"/> and the host transfers
    /// (<see cref="GpuBackend.Download(BufferView, Span{float})"/> and uploads are blocking writes and reads on that
    /// queue). It retains both handles (clRetainContext, clRetainCommandQueue) and releases those references on
    /// <see cref="GpuBackend.Dispose"/>, so the caller may release its own at any time; disposing does not wait
    /// (OpenCL keeps released buffers alive until the queued commands that use them have run).
    /// </summary>
    /// <exception cref="ArgumentException">A NULL or invalid handle, a queue of another context, or an out-of-order queue.</exception>
    /// <exception cref="BackendUnavailableException">No OpenCL ICD loader here.</exception>
    public static OpenClBackend CreateOnQueue(nint context, nint queue, OpenClOptions? options = null)
    {
        if (context == 0) throw new ArgumentException("the OpenCL context (cl_context) is NULL");
        if (queue == 0) throw new ArgumentException("the OpenCL command queue (cl_command_queue) is NULL");
        if (!OpenClDevices.IsLoaderAvailable)
            throw new BackendUnavailableException($"opencl: no OpenCL ICD loader ({NativeLibraries.OpenClLoaderName}) found");
        var cl = Cl.Api;
        nint queueContext = QueueValue<nint>(queue, QueueContextInfo);
        if (queueContext != context)
            throw new ArgumentException($"the command queue belongs to another cl_context (0x{queueContext:x}, not 0x{context:x})");
        ulong properties = QueueValue<ulong>(queue, QueuePropertiesInfo);
        if ((properties & OutOfOrderExecution) != 0)
            throw new ArgumentException("the command queue is out-of-order (CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE): GpuAe's work depends on in-order execution");
        nint device = QueueValue<nint>(queue, QueueDeviceInfo);
        var found = OpenClDevices.Enumerate().Where(d => d.Device == device).Select(d => d.Info).FirstOrDefault()
            ?? throw new ArgumentException($"the command queue's device (0x{device:x}) is not a device of any OpenCL platform here (a sub-device is not supported)");
        Cl.Check(cl.RetainContext(context), "clRetainContext");
        Cl.Check(cl.RetainCommandQueue(queue), "clRetainCommandQueue");
        try
        {
            return new OpenClBackend(found, device, (context, queue), options ?? new OpenClOptions(), borrowed: true);
        }
        catch
        {
            cl.ReleaseCommandQueue(queue);
            cl.ReleaseContext(context);
            throw;
        }
    }

    // cl_command_queue_info and cl_mem_info values (OpenCL 1.2 headers)
    private const uint QueueContextInfo = 0x1090, QueueDeviceInfo = 0x1091, QueuePropertiesInfo = 0x1093;
    private const uint MemSizeInfo = 0x1102, MemContextInfo = 0x1106;
    private const ulong OutOfOrderExecution = 1;   // CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE

    private static T QueueValue<T>(nint queue, uint param) where T : unmanaged
    {
        T value = default;
        int status = Cl.Api.GetCommandQueueInfo(queue, (CommandQueueInfo)param, (nuint)sizeof(T), &value, null);
        if (status != 0) throw new ArgumentException($"the command queue is not a valid cl_command_queue ({new OpenClException("clGetCommandQueueInfo", status).Message})");
        return value;
    }

    /// <summary>True when this backend runs on a caller's context and queue (<see cref="CreateOnQueue"/>).</summary>
    public bool IsBorrowed => _borrowed;

    /// <summary>
    /// The caller's buffer <paramref name="memory"/> (a <c>cl_mem</c> of this backend's context) as a borrowed buffer of
    /// its float or int elements (<see cref="GpuBackend.Borrow"/>): its size comes from clGetMemObjectInfo, so views
    /// of it are bounds-checked like GpuAe's own. <paramref name="name"/> names it in messages.
    /// </summary>
    /// <exception cref="ArgumentException">NULL, not a cl_mem, or a buffer of another context.</exception>
    public DeviceBuffer BorrowBuffer(nint memory, string name, ElementType type = ElementType.Real)
    {
        if (memory == 0) throw new ArgumentException($"{name} (a cl_mem) is NULL");
        nint owner;
        nuint bytes;
        int status = _cl.GetMemObjectInfo(memory, (MemInfo)MemContextInfo, (nuint)sizeof(nint), &owner, null);
        if (status != 0) throw new ArgumentException($"{name} is not a valid cl_mem ({new OpenClException("clGetMemObjectInfo", status).Message})");
        if (owner != _context) throw new ArgumentException($"{name} is a buffer of another cl_context (0x{owner:x}), not of this context's (0x{_context:x})");
        Cl.Check(_cl.GetMemObjectInfo(memory, (MemInfo)MemSizeInfo, (nuint)sizeof(nuint), &bytes, null), "clGetMemObjectInfo(CL_MEM_SIZE)");
        // kernels index with int: a larger buffer is addressed up to its first 2^31-1 elements
        return Borrow(memory, Math.Min((long)bytes / sizeof(float), int.MaxValue), type);
    }

    /// <summary>Every OpenCL platform/device (for <c>gpuae devices</c>); empty with a problem when none.</summary>
    public static IReadOnlyList<OpenClDeviceInfo> ListDevices(out string? problem) => OpenClDevices.List(out problem);

    public override string Name => "opencl";
    public override string DeviceName => $"{Device.Name} ({Device.Type}, {Device.ComputeUnits} CU, {Device.Version}, GEMM {GemmTuning.Variant})";

    /// <summary>The device this backend runs on.</summary>
    public OpenClDeviceInfo Device { get; }

    /// <summary>The GEMM variant and tiles in use.</summary>
    public GemmConfig GemmTuning { get; }

    internal ProgramCache Cache => _cache;

    /// <summary>Device time of the last launch in ns (needs <see cref="OpenClOptions.ProfileLaunches"/>; waits for it).</summary>
    public long LastKernelNanoseconds
    {
        get
        {
            if (_lastEvent == 0) return 0;
            nint e = _lastEvent;
            Cl.Check(_cl.WaitForEvents(1, &e), "clWaitForEvents");
            ulong start, end;
            Cl.Check(_cl.GetEventProfilingInfo(e, ProfilingInfo.Start, sizeof(ulong), &start, null), "clGetEventProfilingInfo");
            Cl.Check(_cl.GetEventProfilingInfo(e, ProfilingInfo.End, sizeof(ulong), &end, null), "clGetEventProfilingInfo");
            return (long)(end - start);
        }
    }

    /// <summary>Launches and device time per kernel name (only with <see cref="OpenClOptions.ProfileKernels"/>).</summary>
    public IReadOnlyDictionary<string, (int Launches, long Nanoseconds)>? KernelProfile => _kernelProfile;

    internal nint Context => _context;
    internal nint DeviceHandle => _device;
    internal nint Queue => _queue;

    /// <summary>Builds every program now (otherwise each is built on first use).</summary>
    public void WarmUp()
    {
        foreach (var family in Enum.GetValues<KernelFamily>()) Program(family.ToString().ToLowerInvariant());
    }

    // ---- memory ---------------------------------------------------------------------------------

    protected override nint AllocateMemory(long bytes)
    {
        ThrowIfDisposed();
        int status;
        var memory = _cl.CreateBuffer(_context, MemFlags.ReadWrite, (nuint)Math.Max(bytes, 4), null, &status);
        if (status is ErrorCodes.InvalidBufferSize or ErrorCodes.MemObjectAllocationFailure or ErrorCodes.OutOfResources or ErrorCodes.OutOfHostMemory)
            throw OutOfDeviceMemory(bytes, DeviceMemory(), new OpenClException($"clCreateBuffer({bytes} bytes)", status));
        if (status != 0) throw new OpenClException($"clCreateBuffer({bytes} bytes on {Device.Name})", status);
        return memory;
    }

    /// <summary>What OpenCL tells about the device's memory: its size and the largest buffer (it reports no free memory).</summary>
    private string DeviceMemory() =>
        $"the device has {Bytes(Device.GlobalMemoryBytes)} of global memory and takes buffers of at most {Bytes(Device.MaxAllocationBytes)} " +
        "(CL_DEVICE_GLOBAL_MEM_SIZE, CL_DEVICE_MAX_MEM_ALLOC_SIZE; OpenCL does not report free memory)";

    protected override void FreeBuffer(nint handle) => _cl.ReleaseMemObject(handle);

    protected override void Write(in KernelView destination, void* source) =>
        Cl.Check(_cl.EnqueueWriteBuffer(_queue, destination.Handle, true, (nuint)(destination.Offset * 4L), (nuint)(destination.Length * 4L), source, 0, null, null),
            "clEnqueueWriteBuffer");

    protected override void Read(in KernelView source, void* destination) =>
        Cl.Check(_cl.EnqueueReadBuffer(_queue, source.Handle, true, (nuint)(source.Offset * 4L), (nuint)(source.Length * 4L), destination, 0, null, null),
            "clEnqueueReadBuffer");

    protected override void CopyMemory(in KernelView source, in KernelView destination) =>
        Cl.Check(_cl.EnqueueCopyBuffer(_queue, source.Handle, destination.Handle, (nuint)(source.Offset * 4L), (nuint)(destination.Offset * 4L),
            (nuint)(source.Length * 4L), 0, null, null), "clEnqueueCopyBuffer");

    protected override nint Partials => _partials;
    protected override nint Dummy => _dummy;

    public override void Synchronize() => Cl.Check(_cl.Finish(_queue), "clFinish");

    // ---- programs and launches ------------------------------------------------------------------

    private nint Program(string family)
    {
        if (_programs.TryGetValue(family, out var program)) return program;
        ThrowIfDisposed();
        // The LeakyReLU slope comes from the ABI's constant, so kernels and CPU reference cannot drift apart.
        var options = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"-cl-std=CL1.2 -D REDUCE_LOCAL={ReduceLocal} -D LEAKY_RELU_SLOPE={ActivationConstants.LeakyReluSlope:R}f");
        var kernelFamily = Enum.Parse<KernelFamily>(family, ignoreCase: true);
        if (kernelFamily == KernelFamily.Gemm) options += " " + GemmTuning.BuildOptions;
        program = _cache.GetOrBuild(KernelSource.FileName(kernelFamily), KernelSource.Load(kernelFamily), options);
        _programs.Add(family, program);
        return program;
    }

    private nint CreateKernel(KernelEntry entry)
    {
        var program = Program(entry.Family);
        var name = System.Text.Encoding.ASCII.GetBytes(entry.Name + "\0");
        int status;
        nint kernel;
        fixed (byte* p = name) kernel = _cl.CreateKernel(program, p, &status);
        Cl.Check(status, $"clCreateKernel({entry.Name} in {entry.Family}.cl)");
        return kernel;
    }

    protected override void Launch(KernelEntry kernel, in KernelArgs args, in LaunchShape shape)
    {
        switch (shape.Kind)
        {
            case LaunchKind.Elementwise: Enqueue(kernel, args, 1, shape.X, 1, 1, ElementwiseLocal, 1); break;
            case LaunchKind.Groups: Enqueue(kernel, args, 1, shape.X * ReduceLocal, 1, 1, ReduceLocal, 1); break;
            // Row kernels: x along a row, the local size spans one row (power of two up to 64), so divisions by
            // the row length stay out of the per-element work. gather_rows bounds-checks rows too: the same layout.
            case LaunchKind.Rows or LaunchKind.Gather:
                int local = Math.Min(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, shape.X)));
                Enqueue(kernel, args, shape.Z > 1 ? 3u : 2u, shape.X, shape.Y, shape.Z, local, 1);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(shape), shape.Kind, "unknown launch layout");
        }
    }

    /// <summary>Sets the arguments and enqueues an NDRange; each global size is rounded up to its local size (kernels bounds-check).</summary>
    private void Enqueue(KernelEntry entry, in KernelArgs args, uint dims, int globalX, int globalY, int globalZ, int localX, int localY)
    {
        var kernel = _kernels.Get(entry);
        CountLaunch(entry);
        for (int i = 0; i < args.Count; i++)
        {
            int set = _cl.SetKernelArg(kernel, (uint)i, (nuint)args.SizeOf(i), args.Pointers[i]);
            if (set != 0) throw new OpenClException($"clSetKernelArg({entry.Name}, argument {i})", set);
        }
        nuint* global = stackalloc nuint[3];
        nuint* local = stackalloc nuint[3];
        global[0] = (nuint)RoundUp(globalX, localX);
        global[1] = (nuint)RoundUp(globalY, localY);
        global[2] = (nuint)Math.Max(1, globalZ);
        local[0] = (nuint)localX;
        local[1] = (nuint)localY;
        local[2] = 1;
        int status;
        if (_profile)
        {
            nint evt;
            status = _cl.EnqueueNdrangeKernel(_queue, kernel, dims, null, global, local, 0, null, &evt);
            if (status == 0)
            {
                if (_lastEvent != 0) _cl.ReleaseEvent(_lastEvent);
                _lastEvent = evt;
                if (_kernelProfile is not null) AddToProfile(entry.Name);
            }
        }
        else
        {
            status = _cl.EnqueueNdrangeKernel(_queue, kernel, dims, null, global, local, 0, null, null);
        }
        if (status != 0) FailLaunch(entry, status, global, local, dims);
    }

    private void AddToProfile(string name)
    {
        long ns = LastKernelNanoseconds;
        var profile = _kernelProfile!;
        var (count, total) = profile.GetValueOrDefault(name);
        profile[name] = (count + 1, total + ns);
    }

    private void FailLaunch(KernelEntry entry, int status, nuint* global, nuint* local, uint dims)
    {
        var shape = dims == 1 ? $"global {global[0]}, local {local[0]}"
            : $"global ({global[0]},{global[1]},{global[2]}), local ({local[0]},{local[1]},{local[2]})";
        throw new OpenClException($"clEnqueueNDRangeKernel({entry.Name}, {shape}) on {Device.Name}", status);
    }

    private static int RoundUp(int value, int multiple) => Math.Max(1, (value + multiple - 1) / multiple) * multiple;

    // ---- GEMM ---------------------------------------------------------------------------------

    // gemm.cl: the variants indexed by GemmCall.Variant (nn, nt, tn, tt) and by whether A is transposed (packed B)
    private static readonly KernelEntry[] CpuGemm = GemmEntries("gemm_cpu_");
    private static readonly KernelEntry[] TiledGemm = GemmEntries("gemm_tiled_");
    private static readonly KernelEntry[] PackedGemm = [new("gemm", "gemm_cpu_packed_n"), new("gemm", "gemm_cpu_packed_t")];
    private static readonly KernelEntry PackB = new("gemm", "pack_b");

    private static KernelEntry[] GemmEntries(string prefix) => new[] { "nn", "nt", "tn", "tt" }.Select(t => new KernelEntry("gemm", prefix + t)).ToArray();

    protected override void LaunchGemm(in GemmCall g)
    {
        bool cpu = GemmTuning.Variant == GemmVariant.RegisterBlocked;
        int cpuRows = (g.M + GemmTuning.CpuMr - 1) / GemmTuning.CpuMr, panels = (g.N + 15) / 16;
        // The fused operand forms (GemmCall.Fusion) are in gemm_cpu_* and gemm_tiled_* only: they never pack B.
        if (cpu && g.K > 0 && g.Fusion.IsNone && PacksB(g.M, g.N, g.K, g.TransB == Transpose.Yes))
        {
            // Copy op(B) into 16-column panels once; the GEMM then streams each panel contiguously.
            var packed = PackToScratch(g.K, g.N, g.B, g.Ldb, g.TransB == Transpose.Yes);
            var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(g.M).Int(g.N).Int(g.K).Float(g.Alpha).View(g.A).Int(g.Lda).Ptr(packed)
                .Float(g.Beta).View(g.C).Int(g.Ldc).Int((int)g.BiasMode).View(g.Bias).Int((int)g.Activation);
            Enqueue(PackedGemm[g.TransA == Transpose.Yes ? 1 : 0], a, 2, cpuRows, panels, 1, 1, 1);
            return;
        }
        var args = g.Pack(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]));
        if (cpu)
            Enqueue(CpuGemm[g.Variant], args, 2, cpuRows, panels, 1, 1, 1);
        else
            Enqueue(TiledGemm[g.Variant], args, 2, (g.N + GemmTuning.Tsn - 1) / GemmTuning.Tsn * GemmTuning.LocalN,
                (g.M + GemmTuning.Tsm - 1) / GemmTuning.Tsm * GemmTuning.LocalM, 1, GemmTuning.LocalN, GemmTuning.LocalM);
    }

    /// <summary>Whether the register-blocked GEMM packs B first: for a Bᵀ larger than <see cref="SmallTransposedB"/>
    /// (else 16 strided gathers per k; a small Bᵀ, e.g. dense32's 32x784 weights, stays in cache, where the gathers
    /// cost less than the extra launch), and for a large B with many row blocks to reuse the packed panels (packing
    /// costs one pass over B, so for few rows, e.g. the convolutions' 8-16 output channels, streaming B directly wins).
    /// Measured on PoCL, see benchmarks/results/opencl-gemm.md and opencl-launches.md. Override with GPUAE_OPENCL_PACK_B=0/1.</summary>
    private bool PacksB(int m, int n, int k, bool transposedB) =>
        _packB ?? ((transposedB && (long)k * n > SmallTransposedB) || (m >= 128 && n >= 256 && k >= 256));

    /// <summary>Elements of a Bᵀ the GEMM reads in place (128 KiB: within the L2 of the CPUs PoCL runs on).</summary>
    private const long SmallTransposedB = 32 * 1024;

    private readonly bool? _packB = Environment.GetEnvironmentVariable("GPUAE_OPENCL_PACK_B") switch { "0" => false, "1" => true, _ => null };

    private nint PackToScratch(int k, int n, in KernelView source, int ld, bool transposed)
    {
        int panels = (n + 15) / 16;
        long need = (long)panels * k * 16;
        if (need > _scratchElements)
        {
            if (_scratch != 0) _cl.ReleaseMemObject(_scratch);
            _scratch = 0;
            _scratch = AllocateMemory(need * sizeof(float));
            _scratchElements = need;
        }
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(k).Int(n).View(source).Int(ld).Flag(transposed).Ptr(_scratch);
        Enqueue(PackB, a, 2, k, panels, 1, 64, 1);
        return _scratch;
    }

    // ---- fused loss + gradient ----------------------------------------------------------------

    /// <summary>CPU devices (sequential-chunk reductions): evaluate the terms element-parallel (vectorised math),
    /// then sum them in chunks; GPUs take the shared one-pass loss.</summary>
    protected override void LaunchLoss(LossKind kind, in KernelView prediction, in KernelView target, float scale,
        in KernelView gradient, bool hasGradient, in KernelView loss, bool accumulate)
    {
        int n = prediction.Length;
        if (ReduceLocal != 1 || n == 0)
        {
            base.LaunchLoss(kind, prediction, target, scale, gradient, hasGradient, loss, accumulate);
            return;
        }
        var terms = Terms(n);
        var e = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(n).View(prediction).View(target)
            .Float(scale).View(gradient).Flag(hasGradient).Ptr(terms);
        Launch(PortableKernels.LossElementwise(kind), e, LaunchShape.Elementwise(n));
        int groups = ReduceGroupCount(n);
        var s = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Ptr(terms).Int(0).Int(n).Ptr(_partials);
        Launch(PortableKernels.SumPartials, s, LaunchShape.Groups(groups));
        SumFinal(groups, scale, loss, accumulate);
    }

    /// <summary>Grow-only scratch for per-element loss terms (CPU devices).</summary>
    private nint Terms(int n)
    {
        if (n > _termsElements)
        {
            if (_terms != 0) _cl.ReleaseMemObject(_terms);
            _terms = 0;
            _terms = AllocateMemory((long)n * sizeof(float));
            _termsElements = n;
        }
        return _terms;
    }

    // ---- lifetime -----------------------------------------------------------------------------

    protected override void ReleaseDevice()
    {
        // a caller's queue is not waited for: OpenCL defers releasing what its queued commands still use
        if (!_borrowed) _cl.Finish(_queue);
        if (_lastEvent != 0) _cl.ReleaseEvent(_lastEvent);
        foreach (var kernel in _kernels.Loaded.Values) _cl.ReleaseKernel(kernel);
        foreach (var program in _programs.Values) _cl.ReleaseProgram(program);
        if (_scratch != 0) _cl.ReleaseMemObject(_scratch);
        if (_terms != 0) _cl.ReleaseMemObject(_terms);
        _cl.ReleaseMemObject(_partials);
        _cl.ReleaseMemObject(_dummy);
        _cl.ReleaseCommandQueue(_queue);
        _cl.ReleaseContext(_context);
    }
}

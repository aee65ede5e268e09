namespace GpuAe.Backends.Cuda;

/// <summary>Options for <see cref="CudaBackend.TryCreate(int, CudaOptions?, out CudaBackend?, out string)"/>.</summary>
public sealed record CudaOptions
{
    /// <summary>GEMM arithmetic; <see cref="GemmPrecision.Tf32"/> opts in to tensor cores (sm_80+).</summary>
    public GemmPrecision Precision { get; init; } = GemmPrecision.Fp32;

    /// <summary>Convolutions by the direct kernels (true) or im2col + GEMM (false) for every geometry; null: the backend's rule.</summary>
    public bool? DirectConvolution { get; init; }
}

/// <summary>
/// The CUDA backend: every kernel of <see cref="IBackend"/> from kernels/cuda/*.cu (PTX embedded, JIT-loaded
/// per family on first use through the driver API), launched in order on one stream. The argument checks and
/// packing of every ABI method live in <see cref="GpuBackend"/>; this class turns a launch into a grid and block
/// (<see cref="Geometry"/>), checks the packed arguments against the PTX signature and launches, and keeps what
/// only CUDA does: the GEMM tiles, <see cref="IStreamFork"/> (a second stream joined back with events; the
/// executor puts weight and bias gradients there) and <see cref="CaptureStep"/>, which records a training step,
/// both streams included, into a CUDA graph. Nothing is allocated or boxed per launch; only Download and
/// Synchronize wait. Uploads and downloads go through a pinned staging buffer. Not thread-safe.
/// </summary>
// every launch stackallocs its argument block and writes each value before it is read: skip zeroing it
[System.Runtime.CompilerServices.SkipLocalsInit]
public sealed unsafe class CudaBackend : GpuBackend, IStepCapture, IStreamFork
{
    private readonly ICudaDriver _driver;
    private readonly CudaOptions _options;
    private readonly Dictionary<string, (nint Module, PtxModule Ptx)> _modules = new(StringComparer.Ordinal);   // by family
    private readonly KernelTable<CudaKernel> _kernels;
    private readonly nint _main, _side;
    // Two events suffice: a wait binds to the record before it, so re-recording one never changes an earlier wait.
    private readonly nint _forkEvent, _sideEvent;
    private bool _sideUnjoined;   // side work recorded by BackToMain that the main stream has not waited for
    private nint _stream;
    private readonly ulong _mainPartials, _sidePartials, _dummy;   // stage-1 sums of Sum and Loss, one block per stream
    private void* _staging;
    private long _stagingBytes;
    private StepState? _stepState;

    /// <summary>A loaded function and the parameter list its PTX declares.</summary>
    private readonly record struct CudaKernel(nint Function, KernelSignature Signature);

    private readonly bool _borrowedStream;   // _main is the caller's stream (CreateOnStream): one stream, never destroyed

    /// <summary>Opens the backend on <paramref name="driver"/> (the real one or a test fake), on two streams of its own.</summary>
    public CudaBackend(ICudaDriver driver, CudaOptions? options = null) : this(driver, options, callerStream: null)
    {
    }

    /// <summary>
    /// Opens the backend on <paramref name="driver"/> with every launch and copy on the caller's
    /// <paramref name="stream"/> (0: the legacy default stream): see <see cref="CreateOnStream"/>.
    /// </summary>
    public CudaBackend(ICudaDriver driver, nint stream, CudaOptions? options = null) : this(driver, options, callerStream: stream)
    {
    }

    private CudaBackend(ICudaDriver driver, CudaOptions? options, nint? callerStream) : base("CUDA", Geometry.ReduceBlock)
    {
        _driver = driver;
        _options = options ?? new CudaOptions();
        DirectConvolution = _options.DirectConvolution;
        _kernels = new KernelTable<CudaKernel>(LoadKernel);
        _borrowedStream = callerStream.HasValue;
        // On a caller's stream everything goes there: no side stream (IStreamFork is then in order, see ForkToSide).
        _main = callerStream ?? driver.CreateStream();
        _side = callerStream ?? driver.CreateStream();
        _stream = _main;
        _forkEvent = driver.CreateEvent();
        _sideEvent = driver.CreateEvent();
        _mainPartials = (ulong)AllocateMemory(ReduceGroups * sizeof(float));
        _sidePartials = (ulong)AllocateMemory(ReduceGroups * sizeof(float));
        _dummy = (ulong)AllocateMemory(16 * sizeof(float));
    }

    /// <summary>Opens CUDA device <paramref name="ordinal"/>. False with a reason ("no CUDA driver (libcuda.so.1)
    /// found", "the CUDA driver reports no device", a driver error by name) when CUDA cannot run here:
    /// <c>--backend auto</c> then moves on.</summary>
    public static bool TryCreate(int ordinal, CudaOptions? options, out CudaBackend? backend, out string reason) =>
        TryCreate(ordinal, options, Native.Cu.DriverFileName, out backend, out reason);

    internal static bool TryCreate(int ordinal, CudaOptions? options, string driverLibrary, out CudaBackend? backend, out string reason)
    {
        backend = null;
        if (!CudaDriver.TryOpen(ordinal, driverLibrary, out var driver, out reason)) return false;
        try
        {
            backend = new CudaBackend(driver!, options);
            return true;
        }
        catch (CudaException e)
        {
            driver!.Dispose();
            reason = e.Message;
            return false;
        }
    }

    /// <summary>
    /// A backend in the caller's CUDA <paramref name="context"/> on the caller's <paramref name="stream"/> (an engine
    /// that owns its GPU work): every launch and copy goes to that stream, in order with the caller's own work; GpuAe
    /// creates no context or stream and destroys neither (nor retains them: they must outlive the backend). The
    /// context is pushed around each driver call and popped after (<see cref="ContextScopedDriver"/>), so the calling
    /// thread's current context is the same before and after. Only <see cref="Synchronize"/>, the host transfers
    /// (uploads and downloads wait for the stream: the pinned staging buffer is reused) and <see cref="GpuBackend.Dispose"/>
    /// (which waits for the stream before freeing GpuAe's memory) synchronise, and only on that stream.
    /// </summary>
    /// <exception cref="ArgumentException">The context is NULL or not a valid CUDA context.</exception>
    /// <exception cref="BackendUnavailableException">No CUDA driver here.</exception>
    public static CudaBackend CreateOnStream(nint context, nint stream, CudaOptions? options = null)
    {
        if (context == 0) throw new ArgumentException("the CUDA context (CUcontext) is NULL");
        var driver = CudaDriver.OpenOnContext(context, Native.Cu.DriverFileName);
        var scoped = new ContextScopedDriver(driver, new CudaContextStack(), context);
        try
        {
            return new CudaBackend(scoped, stream, options);
        }
        catch
        {
            scoped.Dispose();
            throw;
        }
    }

    /// <summary>True when every launch goes to a caller's stream (<see cref="CreateOnStream"/>).</summary>
    public bool IsBorrowed => _borrowedStream;

    /// <summary>
    /// The caller's device memory at <paramref name="pointer"/> (a <c>CUdeviceptr</c> in this backend's context, 4-byte
    /// aligned) as a borrowed buffer (<see cref="GpuBackend.Borrow"/>) reaching to the end of its allocation
    /// (cuMemGetAddressRange), so views of it are bounds-checked like GpuAe's own. <paramref name="name"/> names it in messages.
    /// </summary>
    /// <exception cref="ArgumentException">NULL, misaligned, or not device memory of this context.</exception>
    public DeviceBuffer BorrowBuffer(ulong pointer, string name, ElementType type = ElementType.Real)
    {
        if (pointer == 0) throw new ArgumentException($"{name} (a CUdeviceptr) is NULL");
        if (pointer % sizeof(float) != 0) throw new ArgumentException($"{name} (0x{pointer:x}) is not 4-byte aligned");
        (ulong Base, long Bytes) range;
        try { range = _driver.AddressRange(pointer); }
        catch (CudaException e) { throw new ArgumentException($"{name} (0x{pointer:x}) is not device memory of this CUDA context: {e.Message}"); }
        long bytes = (long)(range.Base + (ulong)range.Bytes - pointer);
        return Borrow((nint)pointer, Math.Min(bytes / sizeof(float), int.MaxValue), type);
    }

    /// <summary>Like <see cref="TryCreate(int, CudaOptions?, out CudaBackend?, out string)"/> but throws
    /// <see cref="BackendUnavailableException"/> ("cuda: no CUDA driver ...") instead.</summary>
    public static CudaBackend Create(int ordinal = 0, CudaOptions? options = null) =>
        TryCreate(ordinal, options, out var backend, out var reason) ? backend! : throw new BackendUnavailableException($"cuda: {reason}");

    public override string Name => "cuda";
    public CudaDeviceInfo Device => _driver.Device;
    public override string DeviceName => $"{Device.Name} (sm_{Device.ComputeCapability}, {Device.Multiprocessors} SMs, {Device.TotalBytes / (1L << 30)} GiB, driver {Device.DriverVersion / 1000}.{Device.DriverVersion % 1000 / 10}, GEMM {_options.Precision})";
    public GemmPrecision Precision => _options.Precision;

    internal ICudaDriver Driver => _driver;
    internal nint MainStream => _main;
    internal nint SideStream => _side;
    internal nint CurrentStream => _stream;

    /// <summary>Loads every module and function now (otherwise each family loads on first use).</summary>
    public void WarmUp()
    {
        foreach (var entry in KernelCatalog.Entries)
            if (entry.Family != "gemm_tc" || Device.ComputeCapability >= 80) _kernels.Get(entry);
    }

    // ---- modules and launches -------------------------------------------------------------------

    private CudaKernel LoadKernel(KernelEntry entry)
    {
        ThrowIfDisposed();
        if (!_modules.TryGetValue(entry.Family, out var module))
        {
            var ptx = PtxModule.Load(entry.Family);
            module = (_driver.LoadModule(entry.Family + ".ptx", System.Text.Encoding.ASCII.GetBytes(ptx.Text)), ptx);
            _modules.Add(entry.Family, module);
        }
        if (!module.Ptx.Entries.TryGetValue(entry.Name, out var signature))
            throw new InvalidOperationException($"kernels/cuda/ptx/{entry.Family}.ptx has no .entry {entry.Name}");
        return new CudaKernel(_driver.GetFunction(module.Module, entry.Name), signature);
    }

    protected override void Launch(KernelEntry kernel, in KernelArgs args, in LaunchShape shape) => Launch(kernel, args, shape.Kind switch
    {
        LaunchKind.Elementwise => Geometry.Elementwise(shape.X),
        LaunchKind.Rows => Geometry.Rows(shape.X, shape.Y, shape.Z, Device.MaxGridY, Device.MaxGridZ),
        // NDRange (column, row) like gather_rows.cl; both kernels bound-check both dimensions
        LaunchKind.Gather => Geometry.Gather(shape.X, shape.Y, Device.MaxGridY),
        LaunchKind.Groups => Geometry.Groups(shape.X),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.Kind, "unknown launch layout"),
    });

    private void Launch(KernelEntry entry, in KernelArgs args, in LaunchGeometry geometry)
    {
        var kernel = _kernels.Get(entry);
        if (args.Signature != kernel.Signature) FailSignature(entry, kernel.Signature, args.Signature);
        CountLaunch(entry);
        _driver.Launch(kernel.Function, geometry, 0, _stream, args.Pointers);
    }

    private static void FailSignature(KernelEntry entry, KernelSignature declared, KernelSignature packed) =>
        throw new InvalidOperationException($"{entry.Name} ({entry.Family}.ptx) takes {declared} but the launch packed {packed}");

    protected override bool CanLaunchPlanes(int planes) => planes <= Device.MaxGridZ;

    /// <summary>The partial-sums block of the stream in use, so reductions on both streams never share one.</summary>
    protected override nint Partials => (nint)(_stream == _side ? _sidePartials : _mainPartials);
    protected override nint Dummy => (nint)_dummy;

    protected override void LaunchGemm(in GemmCall g)
    {
        // The fused operand forms (GemmCall.Fusion) are in gemm.cu's FP32 tiles only: gemm_tc.cu stages A as tf32
        // fragments with no hook for them, so a fused call takes the FP32 tile of its shape.
        var precision = g.Fusion.IsNone ? _options.Precision : GemmPrecision.Fp32;
        var tile = Geometry.ChooseGemm(g.M, g.N, g.K, Device.Multiprocessors, Device.ComputeCapability, precision);
        var args = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]);
        if (tile == GemmTile.Tf32)
        {
            Launch(KernelCatalog.Gemm(tile, g.Variant), g.PackPlain(args), Geometry.Gemm(tile, g.M, g.N));
            return;
        }
        args = g.Pack(args);
        if (_stepState is { } state && (g.Fusion.Flags & GemmFuse.GatherRows) != 0)
        {
            // under capture the gathered batch's indices start at the replayed step's position (as gather_rows_stepped)
            if (g.Variant != 1) throw new InvalidOperationException("GemmGatherRows under step capture needs op(B) = Bᵀ (a dense layer's forward GEMM)");
            Launch(KernelCatalog.GemmGatherStepped(tile), args.Ptr(state.Counter), Geometry.Gemm(tile, g.M, g.N));
            return;
        }
        Launch(KernelCatalog.Gemm(tile, g.Variant), args, Geometry.Gemm(tile, g.M, g.N));
    }

    // ---- streams, events, graphs ---------------------------------------------------------------

    /// <summary>Launches go to the side stream, which first waits for everything enqueued on the main stream so far.</summary>
    public void ForkToSide()
    {
        if (_borrowedStream) return;   // one stream: side work runs in program order, a valid order of the schedule
        if (_stream == _side) throw new InvalidOperationException("ForkToSide: already on the side stream (BackToMain missing)");
        _driver.RecordEvent(_forkEvent, _main);
        _driver.WaitEvent(_side, _forkEvent);
        _stream = _side;
    }

    /// <summary>Records the side stream's point for a later <see cref="JoinSide"/>; launches go to the main stream
    /// again, which does not wait.</summary>
    public void BackToMain()
    {
        if (_borrowedStream) return;
        if (_stream != _side) throw new InvalidOperationException("BackToMain: not on the side stream (ForkToSide missing)");
        _driver.RecordEvent(_sideEvent, _side);
        _stream = _main;
        _sideUnjoined = true;
    }

    /// <summary>The main stream waits for the side stream's point recorded by the last <see cref="BackToMain"/>.</summary>
    public void JoinSide()
    {
        if (_borrowedStream) return;
        if (_stream == _side) throw new InvalidOperationException("JoinSide: still on the side stream (BackToMain first)");
        if (!_sideUnjoined) throw new InvalidOperationException("JoinSide: no side work recorded since the last join");
        _driver.WaitEvent(_main, _sideEvent);
        _sideUnjoined = false;
    }

    /// <summary>
    /// Captures one training step into a CUDA graph. While <paramref name="step"/> runs, GatherRows and
    /// OptimizerUpdate (and RandomForStep) bind their step-dependent values to device memory instead of kernel arguments
    /// (GatherRows reads rows starting at indices.Offset + counter * rows; OptimizerUpdate reads lr and the
    /// bias corrections from the per-epoch table), and the graph ends with a launch that advances the counter.
    /// So capture with the batch start at 0, then per epoch call <see cref="CudaStepGraph.BeginEpoch"/> and
    /// <see cref="CudaStepGraph.Replay"/> once per step.
    /// </summary>
    public CudaStepGraph CaptureStep(Action step, int maxStepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStepsPerEpoch, 1);
        if (_stepState is not null) throw new InvalidOperationException("a step capture is already in progress");
        // make every module resident before capture (module loads are not capturable)
        WarmUp();
        var state = new StepState(_driver.Allocate(sizeof(int)), _driver.Allocate(3L * maxStepsPerEpoch * sizeof(float)),
            _driver.Allocate((long)maxStepsPerEpoch * sizeof(int)), maxStepsPerEpoch);
        _stepState = state;
        _driver.BeginCapture(_main);
        nint exec;
        try
        {
            step();
            if (_stream != _main) throw new InvalidOperationException("the captured step left the side stream open (BackToMain and JoinSide missing)");
            // CUDA cannot end a capture with a forked stream that never rejoined the origin stream
            if (_sideUnjoined) throw new InvalidOperationException("the captured step ended with side-stream work not joined (JoinSide missing)");
            var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Ptr(state.Counter);
            Launch(KernelCatalog.StepAdvance, a, new LaunchGeometry(1, 1, 1, 1));
        }
        catch
        {
            _stepState = null;
            _stream = _main;
            _sideUnjoined = false;
            try { _driver.DestroyGraph(_driver.EndCaptureAndInstantiate(_main)); } catch (CudaException) { }
            _driver.Free(state.Counter);
            _driver.Free(state.Table);
            _driver.Free(state.Steps);
            throw;
        }
        finally { _stepState = null; }
        exec = _driver.EndCaptureAndInstantiate(_main);
        return new CudaStepGraph(this, exec, state);
    }

    IStepReplay IStepCapture.CaptureStep(Action step, int maxStepsPerEpoch) => CaptureStep(step, maxStepsPerEpoch);

    /// <summary>Device memory of a captured step: the step counter, the per-step optimizer scalars (step size, aux,
    /// decay: 3 floats, <see cref="OptimizerScalars"/>), and each step's optimizer t (for <see cref="RandomForStep"/>).</summary>
    internal sealed record StepState(ulong Counter, ulong Table, ulong Steps, int MaxSteps);

    // ---- step-dependent launches: under capture they read the replayed step's values from device memory ----

    protected override bool StepValuesFromDevice => _stepState is not null;

    protected override void LaunchGatherRows(KernelArgs args, int rowLength, int rows)
    {
        if (_stepState is not { } state) { base.LaunchGatherRows(args, rowLength, rows); return; }
        Launch(KernelCatalog.GatherRowsStepped, args.Ptr(state.Counter), Geometry.Gather(rowLength, rows, Device.MaxGridY));
    }

    protected override void LaunchOptimizer(in OptimizerScalars scalars, KernelArgs args, int count)
    {
        if (_stepState is not { } state) { base.LaunchOptimizer(scalars, args, count); return; }
        // the run's fixed scalars are baked into the graph; the per-step ones (step size, aux, decay) come from the table
        args = args.Ptr(state.Counter).Ptr(state.Table);
        Launch(KernelCatalog.OptimizerUpdateStepped, args, Geometry.Elementwise(count));
    }

    public override void RandomForStep(RandomDistribution distribution, ulong seed, int step, BufferView destination)
    {
        if (_stepState is not { } state)
        {
            base.RandomForStep(distribution, seed, step, destination);
            return;
        }
        var d = View(destination, ElementType.Real);
        if (d.IsEmpty) return;
        ulong blocks = (ulong)((d.Length + 3L) / 4);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)distribution).U64(seed).U64(blocks).View(d).Int(d.Length)
            .Ptr(state.Counter).Ptr(state.Steps);
        Launch(KernelCatalog.RandomFillStepped, a, Geometry.Elementwise((long)blocks));
    }

    // ---- memory ---------------------------------------------------------------------------------

    protected override nint AllocateMemory(long bytes)
    {
        try
        {
            return (nint)_driver.Allocate(bytes);
        }
        catch (InsufficientMemoryException e)
        {
            var (free, total) = _driver.MemoryInfo();
            throw OutOfDeviceMemory(bytes, $"{Bytes(free)} free of {Bytes(total)} (cuMemGetInfo)", e);
        }
    }

    protected override void FreeBuffer(nint handle) => FreeDevice((ulong)handle);

    internal void FreeDevice(ulong pointer)
    {
        if (IsDisposed) return;
        // the caller's stream may still hold work that reads this memory (device-buffer calls do not wait)
        if (_borrowedStream) _driver.SynchronizeStream(_main);
        _driver.Free(pointer);
    }

    private void* Staging(long bytes)
    {
        if (bytes > _stagingBytes)
        {
            if (_staging != null) _driver.FreePinned(_staging);
            _staging = null;
            long size = Math.Max(bytes, 1 << 20);
            _staging = _driver.AllocatePinned(size);
            _stagingBytes = size;
        }
        return _staging;
    }

    private static ulong Address(in KernelView view) => (ulong)view.Handle + (ulong)view.Offset * 4;

    protected override void Write(in KernelView destination, void* source)
    {
        long bytes = destination.Length * 4L;
        var staging = Staging(bytes);
        Buffer.MemoryCopy(source, staging, bytes, bytes);
        _driver.CopyHostToDevice(Address(destination), staging, bytes, _stream);
        _driver.SynchronizeStream(_stream);   // the staging buffer is reused by the next transfer
    }

    protected override void Read(in KernelView source, void* destination)
    {
        long bytes = source.Length * 4L;
        var staging = Staging(bytes);
        _driver.CopyDeviceToHost(staging, Address(source), bytes, _stream);
        _driver.SynchronizeStream(_stream);
        Buffer.MemoryCopy(staging, destination, bytes, bytes);
    }

    protected override void CopyMemory(in KernelView source, in KernelView destination) =>
        _driver.CopyDeviceToDevice(Address(destination), Address(source), source.Length * 4L, _stream);

    internal void UploadRaw(ulong destination, void* source, long bytes)
    {
        var staging = Staging(bytes);
        Buffer.MemoryCopy(source, staging, bytes, bytes);
        _driver.CopyHostToDevice(destination, staging, bytes, _main);
        _driver.SynchronizeStream(_main);
    }

    public override void Synchronize()
    {
        if (_side != _main) _driver.SynchronizeStream(_side);
        _driver.SynchronizeStream(_main);
    }

    protected override void ReleaseDevice()
    {
        try { Synchronize(); } catch (CudaException) { }
        _driver.Free(_mainPartials);
        _driver.Free(_sidePartials);
        _driver.Free(_dummy);
        if (_staging != null) _driver.FreePinned(_staging);
        _driver.DestroyEvent(_forkEvent);
        _driver.DestroyEvent(_sideEvent);
        if (!_borrowedStream)
        {
            _driver.DestroyStream(_side);
            _driver.DestroyStream(_main);
        }
        _driver.Dispose();
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;

namespace GpuAe.Backends.Cuda;

/// <summary>Options for <see cref="CudaBackend.TryCreate(int, CudaOptions?, out CudaBackend?, out string)"/>.</summary>
public sealed record CudaOptions
{
    /// <summary>GEMM arithmetic; <see cref="GemmPrecision.Tf32"/> opts in to tensor cores (sm_80+).</summary>
    public GemmPrecision Precision { get; init; } = GemmPrecision.Fp32;
}

/// <summary>
/// The CUDA backend: every kernel of <see cref="IBackend"/> from kernels/cuda/*.cu (PTX embedded, JIT-loaded
/// per family on first use through the driver API), launched in order on one stream. Arguments are packed on
/// the stack (<see cref="KernelArgs"/>) and checked against the PTX signature; nothing is allocated or boxed
/// per launch; only Download and Synchronize wait. Uploads and downloads go through a pinned staging buffer.
/// <see cref="IStreamFork"/> forks work onto a second stream and joins it back with events (the executor puts
/// weight and bias gradients there), and <see cref="CaptureStep"/> records a training step, both streams
/// included, into a CUDA graph. Not thread-safe.
/// </summary>
public sealed unsafe class CudaBackend : IBackend, IStepCapture, IStreamFork
{
    private readonly ICudaDriver _driver;
    private readonly CudaOptions _options;
    private readonly nint[] _modules;
    private readonly string[] _families;
    private readonly PtxModule?[] _ptx;
    private readonly nint[] _functions = new nint[KernelCatalog.Entries.Count];
    private readonly KernelSignature[] _signatures = new KernelSignature[KernelCatalog.Entries.Count];
    private readonly nint _main, _side;
    // Two events suffice: a wait binds to the record before it, so re-recording one never changes an earlier wait.
    private readonly nint _forkEvent, _sideEvent;
    private bool _sideUnjoined;   // side work recorded by BackToMain that the main stream has not waited for
    private nint _stream;
    private readonly ulong _mainPartials, _sidePartials, _dummy;   // stage-1 sums of Sum and Loss, one block per stream
    private void* _staging;
    private long _stagingBytes;
    private StepState? _stepState;
    private bool _disposed;

    /// <summary>Opens the backend on <paramref name="driver"/> (the real one or a test fake).</summary>
    public CudaBackend(ICudaDriver driver, CudaOptions? options = null)
    {
        _driver = driver;
        _options = options ?? new CudaOptions();
        _families = KernelCatalog.Entries.Select(e => e.Family).Distinct().ToArray();
        _modules = new nint[_families.Length];
        _ptx = new PtxModule?[_families.Length];
        _main = driver.CreateStream();
        _side = driver.CreateStream();
        _stream = _main;
        _forkEvent = driver.CreateEvent();
        _sideEvent = driver.CreateEvent();
        _mainPartials = driver.Allocate(Geometry.ReduceGroups * sizeof(float));
        _sidePartials = driver.Allocate(Geometry.ReduceGroups * sizeof(float));
        _dummy = driver.Allocate(16 * sizeof(float));
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

    /// <summary>Like <see cref="TryCreate(int, CudaOptions?, out CudaBackend?, out string)"/> but throws
    /// <see cref="BackendUnavailableException"/> ("cuda: no CUDA driver ...") instead.</summary>
    public static CudaBackend Create(int ordinal = 0, CudaOptions? options = null) =>
        TryCreate(ordinal, options, out var backend, out var reason) ? backend! : throw new BackendUnavailableException($"cuda: {reason}");

    public string Name => "cuda";
    public CudaDeviceInfo Device => _driver.Device;
    public string DeviceName => $"{Device.Name} (sm_{Device.ComputeCapability}, {Device.Multiprocessors} SMs, {Device.TotalBytes / (1L << 30)} GiB, driver {Device.DriverVersion / 1000}.{Device.DriverVersion % 1000 / 10}, GEMM {_options.Precision})";
    public int RealSize => sizeof(float);
    public GemmPrecision Precision => _options.Precision;

    internal ICudaDriver Driver => _driver;
    internal nint MainStream => _main;
    internal nint SideStream => _side;
    internal nint CurrentStream => _stream;

    /// <summary>Loads every module and function now (otherwise each family loads on first use).</summary>
    public void WarmUp()
    {
        foreach (var (id, family, _) in KernelCatalog.Entries)
            if (family != "gemm_tc" || Device.ComputeCapability >= 80) Function(id);
    }

    // ---- modules and launches -------------------------------------------------------------------

    private nint Function(KernelId id)
    {
        ref nint slot = ref _functions[(int)id];
        if (slot != 0) return slot;
        ThrowIfDisposed();
        var (family, entry) = KernelCatalog.Of(id);
        int f = Array.IndexOf(_families, family);
        if (_modules[f] == 0)
        {
            var ptx = PtxModule.Load(family);
            _modules[f] = _driver.LoadModule(family + ".ptx", System.Text.Encoding.ASCII.GetBytes(ptx.Text));
            _ptx[f] = ptx;
        }
        if (!_ptx[f]!.Entries.TryGetValue(entry, out var signature))
            throw new InvalidOperationException($"kernels/cuda/ptx/{family}.ptx has no .entry {entry}");
        _signatures[(int)id] = signature;
        slot = _driver.GetFunction(_modules[f], entry);
        return slot;
    }

    private void Launch(KernelId id, in KernelArgs args, in LaunchGeometry geometry)
    {
        var function = Function(id);
        if (args.Signature != _signatures[(int)id]) FailSignature(id, args.Signature);
        _driver.Launch(function, geometry, 0, _stream, args.Pointers);
    }

    private void FailSignature(KernelId id, KernelSignature packed)
    {
        var (family, entry) = KernelCatalog.Of(id);
        throw new InvalidOperationException($"{entry} ({family}.ptx) takes {_signatures[(int)id]} but the launch packed {packed}");
    }

    private static KernelArgs Args(byte* buffer) => new(buffer);

    /// <summary>The partial-sums block of the stream in use, so reductions on both streams never share one.</summary>
    private ulong Partials => _stream == _side ? _sidePartials : _mainPartials;

    // ---- streams, events, graphs ---------------------------------------------------------------

    /// <summary>Launches go to the side stream, which first waits for everything enqueued on the main stream so far.</summary>
    public void ForkToSide()
    {
        if (_stream == _side) throw new InvalidOperationException("ForkToSide: already on the side stream (BackToMain missing)");
        _driver.RecordEvent(_forkEvent, _main);
        _driver.WaitEvent(_side, _forkEvent);
        _stream = _side;
    }

    /// <summary>Records the side stream's point for a later <see cref="JoinSide"/>; launches go to the main stream
    /// again, which does not wait.</summary>
    public void BackToMain()
    {
        if (_stream != _side) throw new InvalidOperationException("BackToMain: not on the side stream (ForkToSide missing)");
        _driver.RecordEvent(_sideEvent, _side);
        _stream = _main;
        _sideUnjoined = true;
    }

    /// <summary>The main stream waits for the side stream's point recorded by the last <see cref="BackToMain"/>.</summary>
    public void JoinSide()
    {
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
            byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
            var a = Args(buffer).Ptr(state.Counter);
            Launch(KernelId.StepAdvance, a, new LaunchGeometry(1, 1, 1, 1));
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

    /// <summary>Device memory of a captured step: the step counter, lr and Adam bias corrections per step
    /// (3 floats), and each step's optimizer t (for <see cref="RandomForStep"/>).</summary>
    internal sealed record StepState(ulong Counter, ulong Table, ulong Steps, int MaxSteps);

    // ---- memory ---------------------------------------------------------------------------------

    internal void FreeDevice(ulong pointer)
    {
        if (!_disposed) _driver.Free(pointer);
    }

    public DeviceBuffer Allocate(long length, ElementType type = ElementType.Real)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, "CUDA buffers hold at most 2^31-1 elements (kernels index with int)");
        return new CudaBuffer(this, _driver.Allocate(length * 4), length, type);
    }

    private CudaBuffer Mem(BufferView view, ElementType expected, [CallerArgumentExpression(nameof(view))] string name = "")
    {
        if (view.Buffer is not CudaBuffer buffer || !ReferenceEquals(buffer.Owner, this))
            throw new ArgumentException($"{name} is not a buffer of this CUDA backend", name);
        if (buffer.IsDisposed) throw new ObjectDisposedException(name, $"{name} was disposed");
        if (buffer.ElementType != expected)
            throw new ArgumentException($"{name} holds {buffer.ElementType}, expected {expected}", name);
        return buffer;
    }

    private static ulong Address(CudaBuffer buffer, BufferView view) => buffer.Pointer + (ulong)view.Offset * 4;

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

    private void Transfer<T>(BufferView view, ElementType type, ReadOnlySpan<T> host, Span<T> hostOut, bool upload) where T : unmanaged
    {
        ThrowIfDisposed();
        var buffer = Mem(view, type);
        long count = upload ? host.Length : hostOut.Length;
        if (count != view.Length) throw new ArgumentException($"{(upload ? "Upload" : "Download")}: view has {view.Length} elements, host span {count}");
        if (count == 0) return;
        long bytes = count * sizeof(T);
        var staging = Staging(bytes);
        if (upload)
        {
            host.CopyTo(new Span<T>(staging, (int)count));
            _driver.CopyHostToDevice(Address(buffer, view), staging, bytes, _stream);
            _driver.SynchronizeStream(_stream);   // the staging buffer is reused by the next transfer
        }
        else
        {
            _driver.CopyDeviceToHost(staging, Address(buffer, view), bytes, _stream);
            _driver.SynchronizeStream(_stream);
            new ReadOnlySpan<T>(staging, (int)count).CopyTo(hostOut);
        }
    }

    public void Upload(BufferView destination, ReadOnlySpan<float> source) => Transfer(destination, ElementType.Real, source, default, true);
    public void Upload(BufferView destination, ReadOnlySpan<int> source) => Transfer(destination, ElementType.Int32, source, default, true);
    public void Download(BufferView source, Span<float> destination) => Transfer(source, ElementType.Real, default, destination, false);
    public void Download(BufferView source, Span<int> destination) => Transfer(source, ElementType.Int32, default, destination, false);

    public void Upload(BufferView destination, ReadOnlySpan<double> source)
    {
        var temp = ArrayPool<float>.Shared.Rent(source.Length);
        try
        {
            for (int i = 0; i < source.Length; i++) temp[i] = (float)source[i];
            Upload(destination, temp.AsSpan(0, source.Length));
        }
        finally { ArrayPool<float>.Shared.Return(temp); }
    }

    public void Download(BufferView source, Span<double> destination)
    {
        var temp = ArrayPool<float>.Shared.Rent(destination.Length);
        try
        {
            Download(source, temp.AsSpan(0, destination.Length));
            for (int i = 0; i < destination.Length; i++) destination[i] = temp[i];
        }
        finally { ArrayPool<float>.Shared.Return(temp); }
    }

    internal void UploadRaw(ulong destination, void* source, long bytes)
    {
        var staging = Staging(bytes);
        Buffer.MemoryCopy(source, staging, bytes, bytes);
        _driver.CopyHostToDevice(destination, staging, bytes, _main);
        _driver.SynchronizeStream(_main);
    }

    public void Synchronize()
    {
        _driver.SynchronizeStream(_side);
        _driver.SynchronizeStream(_main);
    }

    // ---- fill / copy / axpy -------------------------------------------------------------------

    public void Fill(BufferView x, float value)
    {
        var m = Mem(x, ElementType.Real);
        if (x.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Ptr(m.Pointer).Int(Off(x)).Int(Len(x)).Float(value);
        Launch(KernelId.Fill, a, Geometry.Elementwise(x.Length));
    }

    public void Copy(BufferView source, BufferView destination)
    {
        var s = Mem(source, source.Buffer.ElementType);
        var d = Mem(destination, source.Buffer.ElementType);
        SameLength(source, destination);
        if (source.IsEmpty) return;
        _driver.CopyDeviceToDevice(Address(d, destination), Address(s, source), source.Length * 4, _stream);
    }

    public void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max)
    {
        ClampRange.Check(nameof(AddClampedNoise), min, max);
        var mc = Mem(clean, ElementType.Real);
        var mn = Mem(noise, ElementType.Real);
        SameLength(clean, noise);
        if (noise.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(Len(noise)).Ptr(mc.Pointer).Int(Off(clean)).Float(factor).Ptr(mn.Pointer).Int(Off(noise)).Float(min).Float(max);
        Launch(KernelId.AddClampedNoise, a, Geometry.Elementwise(noise.Length));
    }

    public void Axpy(float alpha, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        SameLength(x, y);
        if (x.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(Len(x)).Float(alpha).Ptr(mx.Pointer).Int(Off(x)).Ptr(my.Pointer).Int(Off(y));
        Launch(KernelId.Axpy, a, Geometry.Elementwise(x.Length));
    }

    public void Scale(BufferView x, float alpha)
    {
        var m = Mem(x, ElementType.Real);
        if (x.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Ptr(m.Pointer).Int(Off(x)).Int(Len(x)).Float(alpha);
        Launch(KernelId.Scale, a, Geometry.Elementwise(x.Length));
    }

    // ---- GEMM ---------------------------------------------------------------------------------

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, BufferView a, int lda, BufferView b, int ldb,
        float beta, BufferView c, int ldc,
        BiasMode biasMode = BiasMode.None, BufferView? bias = null, Activation activation = Activation.Linear)
    {
        var ma = Mem(a, ElementType.Real);
        var mb = Mem(b, ElementType.Real);
        var mc = Mem(c, ElementType.Real);
        // The same argument checks (and messages) as every other backend.
        GemmShapes.Check(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc, biasMode, bias?.Length);
        ulong biasPointer = _dummy;
        int biasOff = 0;
        if (biasMode != BiasMode.None)
        {
            var bv = bias!.Value;
            biasPointer = Mem(bv, ElementType.Real, "bias").Pointer;
            biasOff = Off(bv);
        }
        if (m == 0 || n == 0) return;
        var tile = Geometry.ChooseGemm(m, n, k, Device.Multiprocessors, Device.ComputeCapability, _options.Precision);
        var id = GemmKernel(tile, transA, transB);
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var args = Args(buffer).Int(m).Int(n).Int(k).Float(alpha)
            .Ptr(ma.Pointer).Int(Off(a)).Int(lda).Ptr(mb.Pointer).Int(Off(b)).Int(ldb)
            .Float(beta).Ptr(mc.Pointer).Int(Off(c)).Int(ldc)
            .Int((int)biasMode).Ptr(biasPointer).Int(biasOff).Int((int)activation);
        Launch(id, args, Geometry.Gemm(tile, m, n));
    }

    internal static KernelId GemmKernel(GemmTile tile, Transpose transA, Transpose transB) =>
        (KernelId)((int)(tile switch
        {
            GemmTile.T128 => KernelId.GemmT128Nn,
            GemmTile.T64 => KernelId.GemmT64Nn,
            GemmTile.T32 => KernelId.GemmT32Nn,
            _ => KernelId.GemmTf32Nn,
        }) + (transA == Transpose.Yes ? 2 : 0) + (transB == Transpose.Yes ? 1 : 0));

    public void BiasGradient(BiasMode mode, int rows, int cols, BufferView dy, BufferView dbias, bool accumulate)
    {
        switch (mode)
        {
            case BiasMode.PerColumn: ColumnSums(rows, cols, dy, dbias, accumulate); break;
            case BiasMode.PerRow: RowSumsCore(rows, cols, dy, dbias, accumulate); break;
            default: throw new ArgumentException("BiasGradient needs PerColumn or PerRow", nameof(mode));
        }
    }

    // ---- activations --------------------------------------------------------------------------

    public void ActivationForward(Activation activation, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        SameLength(x, y);
        if (x.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var id = KernelCatalog.ActivationKernel(activation, backward: false);
        var a = Args(buffer).Int(Len(x)).Ptr(mx.Pointer).Int(Off(x)).Ptr(my.Pointer).Int(Off(y));
        Launch(id, a, Geometry.Elementwise(x.Length));
    }

    public void ActivationBackward(Activation activation, BufferView y, BufferView dy, BufferView dx)
    {
        var my = Mem(y, ElementType.Real);
        var mdy = Mem(dy, ElementType.Real);
        var mdx = Mem(dx, ElementType.Real);
        SameLength(y, dy);
        SameLength(y, dx);
        if (y.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var id = KernelCatalog.ActivationKernel(activation, backward: true);
        var a = Args(buffer).Int(Len(y)).Ptr(my.Pointer).Int(Off(y)).Ptr(mdy.Pointer).Int(Off(dy)).Ptr(mdx.Pointer).Int(Off(dx));
        Launch(id, a, Geometry.Elementwise(y.Length));
    }

    public void ChannelBiasActivation(Activation activation, int batch, int channels, int plane, BufferView x, BufferView bias, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var mb = Mem(bias, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        long count = (long)batch * channels * plane;
        Need(x, count, "ChannelBiasActivation x");
        Need(bias, channels, "ChannelBiasActivation bias");
        Need(y, count, "ChannelBiasActivation y");
        if (count == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(plane).Int(channels).Ptr(mx.Pointer).Int(Off(x)).Ptr(mb.Pointer).Int(Off(bias)).Ptr(my.Pointer).Int(Off(y));
        Launch(KernelCatalog.ChannelBiasActivationKernel(activation), a, Rows(plane, batch * channels));
    }

    // ---- convolution by im2col ----------------------------------------------------------------

    public void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns)
    {
        var mx = Mem(x, ElementType.Real);
        var mc = Mem(columns, ElementType.Real);
        long outputs = (long)g.PatchSize * batch * g.OutHeight * g.OutWidth;
        Need(x, (long)batch * g.Channels * g.Height * g.Width, "Im2Col x");
        Need(columns, outputs, "Im2Col columns");
        if (outputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = ConvArgs(Args(buffer).Ptr(mx.Pointer).Int(Off(x)).Ptr(mc.Pointer).Int(Off(columns)), g, batch);
        Launch(KernelId.Im2Col, a, Rows(g.OutWidth, batch * g.OutHeight, g.PatchSize));
    }

    public void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx)
    {
        var mc = Mem(columns, ElementType.Real);
        var mx = Mem(dx, ElementType.Real);
        long inputs = (long)batch * g.Channels * g.Height * g.Width;
        Need(dx, inputs, "Col2Im dx");
        Need(columns, (long)g.PatchSize * batch * g.OutHeight * g.OutWidth, "Col2Im columns");
        if (inputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = ConvArgs(Args(buffer).Ptr(mc.Pointer).Int(Off(columns)).Ptr(mx.Pointer).Int(Off(dx)), g, batch);
        Launch(KernelId.Col2Im, a, Rows(g.Width, batch * g.Height, g.Channels));
    }

    private static KernelArgs ConvArgs(KernelArgs args, in ConvGeometry g, int batch) =>
        args.Int(batch).Int(g.Channels).Int(g.Height).Int(g.Width).Int(g.KernelH).Int(g.KernelW)
            .Int(g.StrideH).Int(g.StrideW).Int(g.PadTop).Int(g.PadLeft).Int(g.DilationH).Int(g.DilationW)
            .Int(g.OutHeight).Int(g.OutWidth);

    public void SwapLeadingAxes(int a, int b, int inner, BufferView source, BufferView destination)
    {
        var ms = Mem(source, ElementType.Real);
        var md = Mem(destination, ElementType.Real);
        long count = (long)a * b * inner;
        Need(source, count, "SwapLeadingAxes source");
        Need(destination, count, "SwapLeadingAxes destination");
        if (count == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var args = Args(buffer).Int(a).Int(b).Int(inner).Ptr(ms.Pointer).Int(Off(source)).Ptr(md.Pointer).Int(Off(destination));
        if (inner >= 8 && b <= Device.MaxGridZ) Launch(KernelId.SwapLeadingAxes3d, args, Rows(inner, a, b));
        else Launch(KernelId.SwapLeadingAxes, args, Geometry.Elementwise(count));
    }

    private LaunchGeometry Rows(int rowLength, int rows, int planes = 1) =>
        Geometry.Rows(rowLength, rows, planes, Device.MaxGridY, Device.MaxGridZ);

    // ---- pooling and upsampling ---------------------------------------------------------------

    private static KernelArgs PoolArgs(KernelArgs args, in PoolGeometry g, int planes) =>
        args.Int(planes).Int(g.Height).Int(g.Width).Int(g.WindowH).Int(g.WindowW).Int(g.StrideH).Int(g.StrideW)
            .Int(g.PadTop).Int(g.PadLeft).Int(g.OutHeight).Int(g.OutWidth);

    public void MaxPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y, BufferView argmax)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        var ma = Mem(argmax, ElementType.Int32);
        long outputs = (long)planes * g.OutHeight * g.OutWidth;
        Need(x, (long)planes * g.Height * g.Width, "MaxPoolForward x");
        Need(y, outputs, "MaxPoolForward y");
        Need(argmax, outputs, "MaxPoolForward argmax");
        if (outputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = PoolArgs(Args(buffer), g, planes).Ptr(mx.Pointer).Int(Off(x)).Ptr(my.Pointer).Int(Off(y)).Ptr(ma.Pointer).Int(Off(argmax));
        Launch(KernelId.MaxPoolForward, a, Rows(g.OutWidth, planes * g.OutHeight));
    }

    public void MaxPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView argmax, BufferView dx)
    {
        var mdy = Mem(dy, ElementType.Real);
        var ma = Mem(argmax, ElementType.Int32);
        var mdx = Mem(dx, ElementType.Real);
        long inputs = (long)planes * g.Height * g.Width;
        Need(dy, (long)planes * g.OutHeight * g.OutWidth, "MaxPoolBackward dy");
        Need(argmax, (long)planes * g.OutHeight * g.OutWidth, "MaxPoolBackward argmax");
        Need(dx, inputs, "MaxPoolBackward dx");
        if (inputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = PoolArgs(Args(buffer), g, planes).Ptr(mdy.Pointer).Int(Off(dy)).Ptr(ma.Pointer).Int(Off(argmax)).Ptr(mdx.Pointer).Int(Off(dx));
        Launch(KernelId.MaxPoolBackward, a, Rows(g.Width, planes * g.Height));
    }

    public void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        long outputs = (long)planes * g.OutHeight * g.OutWidth;
        Need(x, (long)planes * g.Height * g.Width, "AvgPoolForward x");
        Need(y, outputs, "AvgPoolForward y");
        if (outputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = PoolArgs(Args(buffer), g, planes).Ptr(mx.Pointer).Int(Off(x)).Ptr(my.Pointer).Int(Off(y));
        Launch(KernelId.AvgPoolForward, a, Rows(g.OutWidth, planes * g.OutHeight));
    }

    public void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx)
    {
        var mdy = Mem(dy, ElementType.Real);
        var mdx = Mem(dx, ElementType.Real);
        long inputs = (long)planes * g.Height * g.Width;
        Need(dy, (long)planes * g.OutHeight * g.OutWidth, "AvgPoolBackward dy");
        Need(dx, inputs, "AvgPoolBackward dx");
        if (inputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = PoolArgs(Args(buffer), g, planes).Ptr(mdy.Pointer).Int(Off(dy)).Ptr(mdx.Pointer).Int(Off(dx));
        Launch(KernelId.AvgPoolBackward, a, Rows(g.Width, planes * g.Height));
    }

    public void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        long outputs = (long)planes * height * scaleH * width * scaleW;
        Need(x, (long)planes * height * width, "UpsampleNearestForward x");
        Need(y, outputs, "UpsampleNearestForward y");
        if (outputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(planes).Int(height).Int(width).Int(scaleH).Int(scaleW).Ptr(mx.Pointer).Int(Off(x)).Ptr(my.Pointer).Int(Off(y));
        Launch(KernelId.UpsampleNearestForward, a, Rows(width * scaleW, planes * height * scaleH));
    }

    public void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx)
    {
        var mdy = Mem(dy, ElementType.Real);
        var mdx = Mem(dx, ElementType.Real);
        long inputs = (long)planes * height * width;
        Need(dy, inputs * scaleH * scaleW, "UpsampleNearestBackward dy");
        Need(dx, inputs, "UpsampleNearestBackward dx");
        if (inputs == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(planes).Int(height).Int(width).Int(scaleH).Int(scaleW).Ptr(mdy.Pointer).Int(Off(dy)).Ptr(mdx.Pointer).Int(Off(dx));
        Launch(KernelId.UpsampleNearestBackward, a, Rows(width, planes * height));
    }

    // ---- fused loss + gradient ----------------------------------------------------------------

    public void Loss(LossKind kind, BufferView prediction, BufferView target, float scale,
        BufferView loss, bool accumulateLoss, BufferView? gradient)
    {
        var mp = Mem(prediction, ElementType.Real);
        var mt = Mem(target, ElementType.Real);
        var ml = Mem(loss, ElementType.Real);
        SameLength(prediction, target);
        if (loss.Length < 1) throw new ArgumentException("Loss needs a one-element loss view", nameof(loss));
        ulong gradPointer = _dummy;
        int gradOff = 0;
        if (gradient is { } gv)
        {
            gradPointer = Mem(gv, ElementType.Real, "gradient").Pointer;
            SameLength(prediction, gv);
            gradOff = Off(gv);
        }
        int n = Len(prediction);
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int((int)kind).Int(n).Ptr(mp.Pointer).Int(Off(prediction)).Ptr(mt.Pointer).Int(Off(target))
            .Float(scale).Ptr(gradPointer).Int(gradOff).Int(gradient.HasValue ? 1 : 0).Ptr(Partials);
        Launch(KernelId.LossPartials, a, Geometry.Reduce(n));
        SumFinal(Geometry.ReduceGroupCount(n), scale, ml.Pointer, Off(loss), accumulateLoss);
    }

    private void SumFinal(int count, float scale, ulong result, int resultOff, bool accumulate)
    {
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Ptr(Partials).Int(count).Float(scale).Ptr(result).Int(resultOff).Int(accumulate ? 1 : 0);
        Launch(KernelId.SumFinal, a, Geometry.ReduceFinal());
    }

    // ---- penalties on the code -----------------------------------------------------------------

    public void ActivityPenalty(ActivityPenaltyKind kind, int batch, int units, BufferView h, float strength, float rho,
        BufferView loss, BufferView? dh)
    {
        PenaltyShapes.CheckActivity(kind, batch, units, strength, rho);
        long n = (long)batch * units;
        var mh = Mem(h, ElementType.Real);
        var ml = Mem(loss, ElementType.Real);
        Need(h, n, "ActivityPenalty h");
        Need(loss, 1, "ActivityPenalty loss");
        var (dhPointer, dhOff) = Optional(dh, n, "ActivityPenalty dh");
        if (n == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int((int)kind).Int(batch).Int(units).Ptr(mh.Pointer).Int(Off(h)).Float(strength).Float(rho)
            .Ptr(dhPointer).Int(dhOff).Int(dh.HasValue ? 1 : 0).Ptr(Partials);
        Launch(KernelId.ActivityPenalty, a, Geometry.Penalty(units));
        SumFinal(Geometry.PenaltyGroupCount(units), 1f, ml.Pointer, Off(loss), accumulate: true);
    }

    public void ContractivePenalty(Activation activation, int batch, int units, int inputs, BufferView h, BufferView weight,
        float strength, BufferView? loss, BufferView? dh, BufferView? dWeight)
    {
        PenaltyShapes.CheckContractive(activation, batch, units, inputs, strength);
        long n = (long)batch * units, w = (long)units * inputs;
        var mh = Mem(h, ElementType.Real);
        var mw = Mem(weight, ElementType.Real);
        Need(h, n, "ContractivePenalty h");
        Need(weight, w, "ContractivePenalty weight");
        var (lossPointer, lossOff) = Optional(loss, 1, "ContractivePenalty loss");
        var (dhPointer, dhOff) = Optional(dh, n, "ContractivePenalty dh");
        var (dwPointer, dwOff) = Optional(dWeight, w, "ContractivePenalty dWeight");
        if (n == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int((int)activation).Int(batch).Int(units).Int(inputs).Ptr(mh.Pointer).Int(Off(h))
            .Ptr(mw.Pointer).Int(Off(weight)).Float(strength).Ptr(dhPointer).Int(dhOff).Int(dh.HasValue ? 1 : 0)
            .Ptr(dwPointer).Int(dwOff).Int(dWeight.HasValue ? 1 : 0).Ptr(Partials);
        Launch(KernelId.ContractivePenalty, a, Geometry.Penalty(units));
        if (loss.HasValue) SumFinal(Geometry.PenaltyGroupCount(units), 1f, lossPointer, lossOff, accumulate: true);
    }

    /// <summary>(pointer, offset) of an optional real view of at least <paramref name="elements"/>, or the dummy buffer.</summary>
    private (ulong Pointer, int Offset) Optional(BufferView? view, long elements, string what)
    {
        if (view is not { } v) return (_dummy, 0);
        var m = Mem(v, ElementType.Real, what);
        Need(v, elements, what);
        return (m.Pointer, Off(v));
    }

    // ---- optimizer ----------------------------------------------------------------------------

    public void OptimizerUpdate(in OptimizerStep step, BufferView parameters, BufferView gradients,
        BufferView state1, BufferView state2)
    {
        var mp = Mem(parameters, ElementType.Real);
        var mg = Mem(gradients, ElementType.Real);
        SameLength(parameters, gradients);
        bool needs1 = step.Kind != OptimizerKind.Sgd;
        bool needs2 = step.Kind is OptimizerKind.Adam or OptimizerKind.AdamW;
        ulong s1 = _dummy, s2 = _dummy;
        int s1Off = 0, s2Off = 0;
        if (needs1) { s1 = Mem(state1, ElementType.Real).Pointer; SameLength(parameters, state1); s1Off = Off(state1); }
        if (needs2) { s2 = Mem(state2, ElementType.Real).Pointer; SameLength(parameters, state2); s2Off = Off(state2); }
        if (needs2 && step.Step < 1 && _stepState is null) throw new ArgumentOutOfRangeException(nameof(step), step.Step, "Adam steps are 1-based");
        if (parameters.IsEmpty) return;
        var (bc1, bc2Sqrt) = step.BiasCorrections();
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int((int)step.Kind).Int(Len(parameters)).Ptr(mp.Pointer).Int(Off(parameters)).Ptr(mg.Pointer).Int(Off(gradients))
            .Ptr(s1).Int(s1Off).Ptr(s2).Int(s2Off);
        if (_stepState is { } state)
        {
            a = a.Float(step.Beta1).Float(step.Beta2).Float(step.Epsilon).Float(step.Momentum).Float(step.Rho).Float(step.WeightDecay)
                .Ptr(state.Counter).Ptr(state.Table);
            Launch(KernelId.OptimizerUpdateStepped, a, Geometry.Elementwise(parameters.Length));
            return;
        }
        a = a.Float(step.LearningRate).Float(step.Beta1).Float(step.Beta2).Float(step.Epsilon).Float(step.Momentum)
            .Float(step.Rho).Float(step.WeightDecay).Float(bc1).Float(bc2Sqrt);
        Launch(KernelId.OptimizerUpdate, a, Geometry.Elementwise(parameters.Length));
    }

    // ---- data movement and random numbers ------------------------------------------------------

    public void GatherRows(BufferView source, int rowLength, BufferView indices, BufferView destination)
    {
        var ms = Mem(source, ElementType.Real);
        var mi = Mem(indices, ElementType.Int32);
        var md = Mem(destination, ElementType.Real);
        long count = indices.Length * rowLength;
        Need(destination, count, "GatherRows destination");
        if (count == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Ptr(ms.Pointer).Int(Off(source)).Int(rowLength).Ptr(mi.Pointer).Int(Off(indices)).Int(Len(indices))
            .Ptr(md.Pointer).Int(Off(destination));
        // NDRange (column, row) like gather_rows.cl; both kernels bound-check both dimensions
        var geometry = Geometry.Gather(rowLength, Len(indices), Device.MaxGridY);
        if (_stepState is { } state)
        {
            a = a.Ptr(state.Counter);
            Launch(KernelId.GatherRowsStepped, a, geometry);
            return;
        }
        Launch(KernelId.GatherRows, a, geometry);
    }

    public void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination)
    {
        var md = Mem(destination, ElementType.Real);
        if (destination.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int((int)distribution).U64(seed).U64(offset).Ptr(md.Pointer).Int(Off(destination)).Int(Len(destination));
        Launch(KernelId.RandomFill, a, Geometry.Elementwise((destination.Length + 3) / 4));
    }

    public void RandomForStep(RandomDistribution distribution, ulong seed, int step, BufferView destination)
    {
        if (_stepState is not { } state)
        {
            Random(distribution, seed, RandomStreams.StepOffset(step, destination.Length), destination);
            return;
        }
        var md = Mem(destination, ElementType.Real);
        if (destination.IsEmpty) return;
        ulong blocks = (ulong)((destination.Length + 3) / 4);
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int((int)distribution).U64(seed).U64(blocks).Ptr(md.Pointer).Int(Off(destination)).Int(Len(destination))
            .Ptr(state.Counter).Ptr(state.Steps);
        Launch(KernelId.RandomFillStepped, a, Geometry.Elementwise((destination.Length + 3) / 4));
    }

    // ---- VAE reparameterization ---------------------------------------------------------------

    public void VaeReparameterizeForward(BufferView mean, BufferView logVar, BufferView epsilon, BufferView z)
    {
        var mm = Mem(mean, ElementType.Real);
        var ml = Mem(logVar, ElementType.Real);
        var me = Mem(epsilon, ElementType.Real);
        var mz = Mem(z, ElementType.Real);
        SameLength(mean, z);
        SameLength(logVar, z);
        SameLength(epsilon, z);
        if (z.IsEmpty) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(Len(z)).Ptr(mm.Pointer).Int(Off(mean)).Ptr(ml.Pointer).Int(Off(logVar))
            .Ptr(me.Pointer).Int(Off(epsilon)).Ptr(mz.Pointer).Int(Off(z));
        Launch(KernelId.VaeReparameterizeForward, a, Geometry.Elementwise(z.Length));
    }

    public void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale,
        BufferView loss, bool accumulateLoss, VaeGradients? gradients)
    {
        var mm = Mem(mean, ElementType.Real);
        var ml = Mem(logVar, ElementType.Real);
        var mLoss = Mem(loss, ElementType.Real);
        SameLength(mean, logVar);
        if (loss.Length < 1) throw new ArgumentException("VaeReparameterizeBackward needs a one-element loss view", nameof(loss));
        ulong eps = _dummy, dz = _dummy, dMean = _dummy, dLogVar = _dummy;
        int epsOff = 0, dzOff = 0, dMeanOff = 0, dLogVarOff = 0;
        if (gradients is { } g)
        {
            SameLength(mean, epsilon);
            SameLength(mean, g.Dz);
            SameLength(mean, g.DMean);
            SameLength(mean, g.DLogVar);
            (eps, epsOff) = (Mem(epsilon, ElementType.Real).Pointer, Off(epsilon));
            (dz, dzOff) = (Mem(g.Dz, ElementType.Real, "dz").Pointer, Off(g.Dz));
            (dMean, dMeanOff) = (Mem(g.DMean, ElementType.Real, "dMean").Pointer, Off(g.DMean));
            (dLogVar, dLogVarOff) = (Mem(g.DLogVar, ElementType.Real, "dLogVar").Pointer, Off(g.DLogVar));
        }
        int n = Len(mean);
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(n).Ptr(mm.Pointer).Int(Off(mean)).Ptr(ml.Pointer).Int(Off(logVar)).Ptr(eps).Int(epsOff).Ptr(dz).Int(dzOff)
            .Float(klScale).Ptr(dMean).Int(dMeanOff).Ptr(dLogVar).Int(dLogVarOff).Int(gradients.HasValue ? 1 : 0).Ptr(Partials);
        Launch(KernelId.VaeReparameterizeBackwardPartials, a, Geometry.Reduce(n));
        SumFinal(Geometry.ReduceGroupCount(n), klScale, mLoss.Pointer, Off(loss), accumulateLoss);
    }

    // ---- reductions ---------------------------------------------------------------------------

    public void Sum(BufferView x, BufferView result, bool accumulate)
    {
        var mx = Mem(x, ElementType.Real);
        var mr = Mem(result, ElementType.Real);
        if (result.Length < 1) throw new ArgumentException("Sum needs a one-element result view", nameof(result));
        int n = Len(x);
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Ptr(mx.Pointer).Int(Off(x)).Int(n).Ptr(Partials);
        Launch(KernelId.SumPartials, a, Geometry.Reduce(n));
        SumFinal(Geometry.ReduceGroupCount(n), 1f, mr.Pointer, Off(result), accumulate);
    }

    public void RowSums(int rows, int cols, BufferView x, BufferView result) => RowSumsCore(rows, cols, x, result, false);

    private void RowSumsCore(int rows, int cols, BufferView x, BufferView result, bool accumulate)
    {
        var mx = Mem(x, ElementType.Real);
        var mr = Mem(result, ElementType.Real);
        Need(x, (long)rows * cols, "row sums x");
        Need(result, rows, "row sums result");
        if (rows == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(rows).Int(cols).Ptr(mx.Pointer).Int(Off(x)).Ptr(mr.Pointer).Int(Off(result)).Int(accumulate ? 1 : 0);
        Launch(KernelId.RowSums, a, Geometry.RowReduce(rows));
    }

    private void ColumnSums(int rows, int cols, BufferView x, BufferView result, bool accumulate)
    {
        var mx = Mem(x, ElementType.Real);
        var mr = Mem(result, ElementType.Real);
        Need(x, (long)rows * cols, "column sums x");
        Need(result, cols, "column sums result");
        if (cols == 0) return;
        byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
        var a = Args(buffer).Int(rows).Int(cols).Ptr(mx.Pointer).Int(Off(x)).Ptr(mr.Pointer).Int(Off(result)).Int(accumulate ? 1 : 0);
        Launch(KernelId.ColumnSums, a, Geometry.Elementwise(cols));
    }

    // ---- checks and lifetime ------------------------------------------------------------------

    private static int Off(BufferView view) => (int)view.Offset;
    private static int Len(BufferView view) => checked((int)view.Length);

    private static void SameLength(BufferView a, BufferView b,
        [CallerArgumentExpression(nameof(a))] string an = "", [CallerArgumentExpression(nameof(b))] string bn = "")
    {
        if (a.Length != b.Length) throw new ArgumentException($"{an} has {a.Length} elements but {bn} has {b.Length}");
    }

    private static void Need(BufferView view, long elements, string what)
    {
        if (view.Length < elements) throw new ArgumentException($"{what}: needs {elements} elements, view has {view.Length}");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed) return;
        try { Synchronize(); } catch (CudaException) { }
        _driver.Free(_mainPartials);
        _driver.Free(_sidePartials);
        _driver.Free(_dummy);
        if (_staging != null) _driver.FreePinned(_staging);
        _driver.DestroyEvent(_forkEvent);
        _driver.DestroyEvent(_sideEvent);
        _driver.DestroyStream(_side);
        _driver.DestroyStream(_main);
        _disposed = true;
        _driver.Dispose();
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using GpuAe.Backends.OpenCL.Native;

namespace GpuAe.Backends.OpenCL;

/// <summary>Options for <see cref="OpenClBackend.TryCreate(string?, OpenClOptions?, out OpenClBackend?, out string)"/>.</summary>
public sealed record OpenClOptions
{
    /// <summary>Overrides the per-device GEMM table entry (e.g. to run the tiled variant on a CPU device).</summary>
    public GemmConfig? Gemm { get; init; }

    /// <summary>Work-group size of the reductions (Sum, Loss, RowSums, per-row bias gradient), a power of two.
    /// Default 1 on CPU devices (sequential chunks), 64 on GPUs (tree in local memory).</summary>
    public int? ReduceWorkGroupSize { get; init; }

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
/// (kernels/opencl/*.cl), one in-order profiling queue on one device. Programs are built lazily, once,
/// per family and cached on disk. Not thread-safe (one queue, kernel arguments set per launch).
/// Nothing is allocated per launch: arguments are set from stack values.
/// </summary>
public sealed unsafe class OpenClBackend : IBackend
{
    private const int ElementwiseLocal = 256;
    private readonly int _reduceLocal;   // 1 on CPU devices (sequential chunks, no barriers), 64 on GPUs
    private const int ReduceGroups = 64;

    private readonly nint _context, _queue, _device;
    private readonly ProgramCache _cache;
    private readonly nint[] _programs = new nint[Enum.GetValues<KernelFamily>().Length];
    private readonly Dictionary<string, nint> _kernels = new(StringComparer.Ordinal);
    private readonly nint _partials;   // ReduceGroups floats: stage-1 results of Sum and Loss
    private readonly nint _dummy;      // bound where an optional buffer is absent
    private readonly bool _profile;
    private nint _lastEvent;
    private readonly Dictionary<string, (int Launches, long Nanoseconds)>? _kernelProfile;
    private nint _scratch;             // B packed into 16-column panels for the register-blocked GEMM (grow-only)
    private long _scratchElements;
    private nint _terms;               // per-element loss terms on CPU devices (grow-only)
    private int _termsElements;
    private bool _disposed;

    // kernel handles, created on first use
    private nint _kFill, _kAxpy, _kScale, _kAddNoise, _kGather, _kIm2Col, _kCol2Im, _kSwap,
        _kMaxF, _kMaxB, _kAvgF, _kAvgB, _kUpF, _kUpB, _kLoss, _kOptim, _kRand,
        _kSumPartials, _kSumFinal, _kRowSums, _kColumnSums, _kPackB, _kSwap3, _kActivityPenalty, _kContractivePenalty, _kVaeForward, _kVaeBackward;
    private readonly nint[] _kActForward = new nint[7], _kActBackward = new nint[7], _kChannelBias = new nint[7], _kLossElementwise = new nint[3];
    private readonly nint[] _kGemm = new nint[4];
    private readonly nint[] _kGemmPacked = new nint[2];

    private OpenClBackend(OpenClDeviceInfo info, nint device, OpenClOptions options)
    {
        Device = info;
        _device = device;
        GemmTuning = options.Gemm ?? GemmConfig.For(info);
        _reduceLocal = options.ReduceWorkGroupSize ?? (info.Type == "CPU" ? 1 : 64);
        if (_reduceLocal < 1 || (_reduceLocal & (_reduceLocal - 1)) != 0 || _reduceLocal > info.MaxWorkGroupSize)
            throw new ArgumentOutOfRangeException(nameof(options), _reduceLocal, "reduction work-group size must be a power of two within the device limit");
        GemmTuning.Validate(info.MaxWorkGroupSize);
        _profile = options.ProfileLaunches || options.ProfileKernels;
        if (options.ProfileKernels) _kernelProfile = new Dictionary<string, (int, long)>(StringComparer.Ordinal);
        int status;
        nint d = device;
        _context = Cl.clCreateContext(null, 1, &d, 0, 0, &status);
        Cl.Check(status, "clCreateContext");
        _queue = Cl.clCreateCommandQueue(_context, device, Cl.QUEUE_PROFILING_ENABLE, &status);
        if (status != 0) { Cl.clReleaseContext(_context); Cl.Check(status, "clCreateCommandQueue"); }
        var deviceKey = $"{info.Platform}|{info.PlatformVersion}|{info.Name}|{info.Version}|{info.DriverVersion}";
        var directory = options.CacheDirectory is null ? ProgramCache.DefaultDirectory()
            : options.CacheDirectory.Length == 0 ? null : options.CacheDirectory;
        _cache = new ProgramCache(_context, device, deviceKey, directory);
        _partials = CreateMemory(ReduceGroups * sizeof(float));
        _dummy = CreateMemory(16 * sizeof(float));
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
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"the OpenCL ICD loader could not be used ({e.Message})";
            return false;
        }
    }

    /// <summary>Every OpenCL platform/device (for <c>gpuae devices</c>); empty with a problem when none.</summary>
    public static IReadOnlyList<OpenClDeviceInfo> ListDevices(out string? problem) => OpenClDevices.List(out problem);

    public string Name => "opencl";
    public string DeviceName => $"{Device.Name} ({Device.Type}, {Device.ComputeUnits} CU, {Device.Version}, GEMM {GemmTuning.Variant})";
    public int RealSize => sizeof(float);

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
            Cl.Check(Cl.clWaitForEvents(1, &e), "clWaitForEvents");
            ulong start, end;
            Cl.Check(Cl.clGetEventProfilingInfo(e, Cl.PROFILING_COMMAND_START, sizeof(ulong), &start, null), "clGetEventProfilingInfo");
            Cl.Check(Cl.clGetEventProfilingInfo(e, Cl.PROFILING_COMMAND_END, sizeof(ulong), &end, null), "clGetEventProfilingInfo");
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
        foreach (var family in Enum.GetValues<KernelFamily>()) Program(family);
    }

    // ---- memory ---------------------------------------------------------------------------------

    private nint CreateMemory(long bytes)
    {
        int status;
        var memory = Cl.clCreateBuffer(_context, Cl.MEM_READ_WRITE, (nuint)Math.Max(bytes, 4), null, &status);
        if (status != 0) throw new OpenClException($"clCreateBuffer({bytes} bytes on {Device.Name})", status);
        return memory;
    }

    public DeviceBuffer Allocate(long length, ElementType type = ElementType.Real)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, "OpenCL buffers hold at most 2^31-1 elements (kernels index with int)");
        return new OpenClBuffer(this, CreateMemory(length * 4), length, type);
    }

    private OpenClBuffer Mem(BufferView view, ElementType expected, [CallerArgumentExpression(nameof(view))] string name = "")
    {
        if (view.Buffer is not OpenClBuffer buffer || !ReferenceEquals(buffer.Owner, this))
            throw new ArgumentException($"{name} is not a buffer of this OpenCL backend", name);
        if (buffer.IsDisposed) throw new ObjectDisposedException(name, $"{name} was disposed");
        if (buffer.ElementType != expected)
            throw new ArgumentException($"{name} holds {buffer.ElementType}, expected {expected}", name);
        return buffer;
    }

    private void Transfer<T>(BufferView view, ElementType type, T* data, long count, bool write, string call) where T : unmanaged
    {
        var buffer = Mem(view, type);
        if (count != view.Length) throw new ArgumentException($"{call}: view has {view.Length} elements, host span {count}");
        if (count == 0) return;
        int status = write
            ? Cl.clEnqueueWriteBuffer(_queue, buffer.Handle, 1, (nuint)(view.Offset * 4), (nuint)(count * 4), data, 0, null, null)
            : Cl.clEnqueueReadBuffer(_queue, buffer.Handle, 1, (nuint)(view.Offset * 4), (nuint)(count * 4), data, 0, null, null);
        Cl.Check(status, call);
    }

    public void Upload(BufferView destination, ReadOnlySpan<float> source)
    {
        fixed (float* p = source) Transfer(destination, ElementType.Real, p, source.Length, true, "clEnqueueWriteBuffer");
    }

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

    public void Upload(BufferView destination, ReadOnlySpan<int> source)
    {
        fixed (int* p = source) Transfer(destination, ElementType.Int32, p, source.Length, true, "clEnqueueWriteBuffer");
    }

    public void Download(BufferView source, Span<float> destination)
    {
        fixed (float* p = destination) Transfer(source, ElementType.Real, p, destination.Length, false, "clEnqueueReadBuffer");
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

    public void Download(BufferView source, Span<int> destination)
    {
        fixed (int* p = destination) Transfer(source, ElementType.Int32, p, destination.Length, false, "clEnqueueReadBuffer");
    }

    public void Synchronize() => Cl.Check(Cl.clFinish(_queue), "clFinish");

    // ---- programs and launches ------------------------------------------------------------------

    private nint Program(KernelFamily family)
    {
        ref nint slot = ref _programs[(int)family];
        if (slot != 0) return slot;
        ThrowIfDisposed();
        // The LeakyReLU slope comes from the ABI's constant, so kernels and CPU reference cannot drift apart.
        var options = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"-cl-std=CL1.2 -D REDUCE_LOCAL={_reduceLocal} -D LEAKY_RELU_SLOPE={ActivationConstants.LeakyReluSlope:R}f");
        if (family == KernelFamily.Gemm) options += " " + GemmTuning.BuildOptions;
        slot = _cache.GetOrBuild(KernelSource.FileName(family), KernelSource.Load(family), options);
        return slot;
    }

    private nint Kernel(ref nint slot, KernelFamily family, string name)
    {
        if (slot != 0) return slot;
        var program = Program(family);
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        int status;
        nint kernel;
        fixed (byte* p = bytes) kernel = Cl.clCreateKernel(program, p, &status);
        Cl.Check(status, $"clCreateKernel({name} in {KernelSource.FileName(family)})");
        _kernels[name] = kernel;
        slot = kernel;
        return kernel;
    }

    /// <summary>Sets kernel arguments from stack values; <c>ref</c> struct so nothing escapes to the heap.</summary>
    private ref struct Args
    {
        private readonly nint _kernel;
        private uint _index;

        public Args(nint kernel) { _kernel = kernel; _index = 0; }

        public Args Value<T>(T value) where T : unmanaged
        {
            int status = Cl.clSetKernelArg(_kernel, _index, (nuint)sizeof(T), &value);
            if (status != 0) Fail(status);
            _index++;
            return this;
        }

        public Args Int(int value) => Value(value);
        public Args Float(float value) => Value(value);
        public Args Mem(nint memory) => Value(memory);

        private readonly void Fail(int status) => throw new OpenClException($"clSetKernelArg(argument {_index})", status);
    }

    private Args Begin(nint kernel) => new(kernel);

    private static int Off(BufferView view) => (int)view.Offset;

    private void Launch(nint kernel, int globalX, int localX) => Launch(kernel, 1, globalX, 1, 1, localX, 1);

    private void Launch(nint kernel, uint dims, int globalX, int globalY, int localX, int localY) =>
        Launch(kernel, dims, globalX, globalY, 1, localX, localY);

    /// <summary>Enqueues an NDRange; each global size is rounded up to its local size (kernels bounds-check).</summary>
    private void Launch(nint kernel, uint dims, int globalX, int globalY, int globalZ, int localX, int localY)
    {
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
            status = Cl.clEnqueueNDRangeKernel(_queue, kernel, dims, null, global, local, 0, null, &evt);
            if (status == 0)
            {
                if (_lastEvent != 0) Cl.clReleaseEvent(_lastEvent);
                _lastEvent = evt;
                if (_kernelProfile is not null) AddToProfile(kernel);
            }
        }
        else
        {
            status = Cl.clEnqueueNDRangeKernel(_queue, kernel, dims, null, global, local, 0, null, null);
        }
        if (status != 0) FailLaunch(kernel, status, global, local, dims);
    }

    /// <summary>Row kernels: NDRange (x along a row, rows[, planes]); the local size spans one row
    /// (power of two up to 64), so divisions by the row length stay out of the per-element work.</summary>
    private void LaunchRows(nint kernel, int rowLength, int rows, int planes = 1)
    {
        int local = Math.Min(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, rowLength)));
        Launch(kernel, planes > 1 ? 3u : 2u, rowLength, rows, planes, local, 1);
    }

    private void AddToProfile(nint kernel)
    {
        long ns = LastKernelNanoseconds;
        var name = _kernels.FirstOrDefault(p => p.Value == kernel).Key ?? "?";
        var profile = _kernelProfile!;
        var (count, total) = profile.GetValueOrDefault(name);
        profile[name] = (count + 1, total + ns);
    }

    private void FailLaunch(nint kernel, int status, nuint* global, nuint* local, uint dims)
    {
        var name = _kernels.FirstOrDefault(p => p.Value == kernel).Key ?? "?";
        var shape = dims == 1 ? $"global {global[0]}, local {local[0]}"
            : $"global ({global[0]},{global[1]},{global[2]}), local ({local[0]},{local[1]},{local[2]})";
        throw new OpenClException($"clEnqueueNDRangeKernel({name}, {shape}) on {Device.Name}", status);
    }

    private static int RoundUp(int value, int multiple) => Math.Max(1, (value + multiple - 1) / multiple) * multiple;

    private void Elementwise(nint kernel, long count) => Launch(kernel, checked((int)count), ElementwiseLocal);

    // ---- fill / copy / axpy -------------------------------------------------------------------

    public void Fill(BufferView x, float value)
    {
        var m = Mem(x, ElementType.Real);
        if (x.IsEmpty) return;
        var k = Kernel(ref _kFill, KernelFamily.Elementwise, "fill");
        Begin(k).Mem(m.Handle).Int(Off(x)).Int((int)x.Length).Float(value);
        Elementwise(k, x.Length);
    }

    public void Copy(BufferView source, BufferView destination)
    {
        var s = Mem(source, source.Buffer.ElementType);
        var d = Mem(destination, source.Buffer.ElementType);
        SameLength(source, destination);
        if (source.IsEmpty) return;
        Cl.Check(Cl.clEnqueueCopyBuffer(_queue, s.Handle, d.Handle, (nuint)(source.Offset * 4), (nuint)(destination.Offset * 4),
            (nuint)(source.Length * 4), 0, null, null), "clEnqueueCopyBuffer");
    }

    public void Axpy(float alpha, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        SameLength(x, y);
        if (x.IsEmpty) return;
        var k = Kernel(ref _kAxpy, KernelFamily.Elementwise, "axpy");
        Begin(k).Int((int)x.Length).Float(alpha).Mem(mx.Handle).Int(Off(x)).Mem(my.Handle).Int(Off(y));
        Elementwise(k, x.Length);
    }

    public void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max)
    {
        ClampRange.Check(nameof(AddClampedNoise), min, max);
        var mc = Mem(clean, ElementType.Real);
        var mn = Mem(noise, ElementType.Real);
        SameLength(clean, noise);
        if (noise.IsEmpty) return;
        var k = Kernel(ref _kAddNoise, KernelFamily.Elementwise, "add_clamped_noise");
        Begin(k).Int((int)noise.Length).Mem(mc.Handle).Int(Off(clean)).Float(factor).Mem(mn.Handle).Int(Off(noise)).Float(min).Float(max);
        Elementwise(k, noise.Length);
    }

    public void Scale(BufferView x, float alpha)
    {
        var m = Mem(x, ElementType.Real);
        if (x.IsEmpty) return;
        var k = Kernel(ref _kScale, KernelFamily.Elementwise, "scale");
        Begin(k).Mem(m.Handle).Int(Off(x)).Int((int)x.Length).Float(alpha);
        Elementwise(k, x.Length);
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
        nint biasHandle = _dummy;
        int biasOff = 0;
        if (biasMode != BiasMode.None)
        {
            var bv = bias!.Value;
            biasHandle = Mem(bv, ElementType.Real, "bias").Handle;
            biasOff = Off(bv);
        }
        if (m == 0 || n == 0) return;
        bool cpu = GemmTuning.Variant == GemmVariant.RegisterBlocked;
        nint bHandle = mb.Handle;
        int bOff = Off(b);
        if (cpu && k > 0 && PackB(m, n, k, transB == Transpose.Yes))
        {
            // Copy op(B) into 16-column panels once; the GEMM then streams each panel contiguously.
            var packed = PackToScratch(k, n, mb.Handle, bOff, ldb, transB == Transpose.Yes);
            var pk = Kernel(ref _kGemmPacked[transA == Transpose.Yes ? 1 : 0], KernelFamily.Gemm,
                transA == Transpose.Yes ? "gemm_cpu_packed_t" : "gemm_cpu_packed_n");
            Begin(pk).Int(m).Int(n).Int(k).Float(alpha).Mem(ma.Handle).Int(Off(a)).Int(lda).Mem(packed)
                .Float(beta).Mem(mc.Handle).Int(Off(c)).Int(ldc).Int((int)biasMode).Mem(biasHandle).Int(biasOff).Int((int)activation);
            Launch(pk, 2, (m + GemmTuning.CpuMr - 1) / GemmTuning.CpuMr, (n + 15) / 16, 1, 1);
            return;
        }
        int variant = (transA == Transpose.Yes ? 2 : 0) + (transB == Transpose.Yes ? 1 : 0);
        var kernel = Kernel(ref _kGemm[variant], KernelFamily.Gemm, (cpu, variant) switch
        {
            (true, 0) => "gemm_cpu_nn", (true, 1) => "gemm_cpu_nt", (true, 2) => "gemm_cpu_tn", (true, _) => "gemm_cpu_tt",
            (false, 0) => "gemm_tiled_nn", (false, 1) => "gemm_tiled_nt", (false, 2) => "gemm_tiled_tn", _ => "gemm_tiled_tt",
        });
        Begin(kernel).Int(m).Int(n).Int(k).Float(alpha)
            .Mem(ma.Handle).Int(Off(a)).Int(lda).Mem(bHandle).Int(bOff).Int(ldb)
            .Float(beta).Mem(mc.Handle).Int(Off(c)).Int(ldc)
            .Int((int)biasMode).Mem(biasHandle).Int(biasOff).Int((int)activation);
        if (cpu)
            Launch(kernel, 2, (m + GemmTuning.CpuMr - 1) / GemmTuning.CpuMr, (n + 15) / 16, 1, 1);
        else
            Launch(kernel, 2, (n + GemmTuning.Tsn - 1) / GemmTuning.Tsn * GemmTuning.LocalN, (m + GemmTuning.Tsm - 1) / GemmTuning.Tsm * GemmTuning.LocalM, GemmTuning.LocalN, GemmTuning.LocalM);
    }

    /// <summary>Whether the register-blocked GEMM packs B first: always for Bᵀ (else 16 strided gathers
    /// per k), and for a large B with many row blocks to reuse the packed panels (packing costs one pass
    /// over B, so for few rows, e.g. the convolutions' 8-16 output channels, streaming B directly wins).
    /// Measured on PoCL, see benchmarks/results/opencl-gemm.md. Override with GPUAE_OPENCL_PACK_B=0/1.</summary>
    private bool PackB(int m, int n, int k, bool transposedB) =>
        _packB ?? (transposedB || (m >= 128 && n >= 256 && k >= 256));

    private readonly bool? _packB = Environment.GetEnvironmentVariable("GPUAE_OPENCL_PACK_B") switch { "0" => false, "1" => true, _ => null };

    private nint PackToScratch(int k, int n, nint source, int sourceOff, int ld, bool transposed)
    {
        int panels = (n + 15) / 16;
        long need = (long)panels * k * 16;
        if (need > _scratchElements)
        {
            if (_scratch != 0) Cl.clReleaseMemObject(_scratch);
            _scratch = 0;
            _scratch = CreateMemory(need * sizeof(float));
            _scratchElements = need;
        }
        var kernel = Kernel(ref _kPackB, KernelFamily.Gemm, "pack_b");
        Begin(kernel).Int(k).Int(n).Mem(source).Int(sourceOff).Int(ld).Int(transposed ? 1 : 0).Mem(_scratch);
        Launch(kernel, 2, k, panels, 64, 1);
        return _scratch;
    }

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
        var k = Kernel(ref _kActForward[(int)activation], KernelFamily.Activation, PerKindName(ForwardNames, activation));
        Begin(k).Int((int)x.Length).Mem(mx.Handle).Int(Off(x)).Mem(my.Handle).Int(Off(y));
        Elementwise(k, x.Length);
    }

    public void ActivationBackward(Activation activation, BufferView y, BufferView dy, BufferView dx)
    {
        var my = Mem(y, ElementType.Real);
        var mdy = Mem(dy, ElementType.Real);
        var mdx = Mem(dx, ElementType.Real);
        SameLength(y, dy);
        SameLength(y, dx);
        if (y.IsEmpty) return;
        var k = Kernel(ref _kActBackward[(int)activation], KernelFamily.Activation, PerKindName(BackwardNames, activation));
        Begin(k).Int((int)y.Length).Mem(my.Handle).Int(Off(y)).Mem(mdy.Handle).Int(Off(dy)).Mem(mdx.Handle).Int(Off(dx));
        Elementwise(k, y.Length);
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
        var k = Kernel(ref _kChannelBias[(int)activation], KernelFamily.Activation, PerKindName(ChannelBiasNames, activation));
        Begin(k).Int(plane).Int(channels).Mem(mx.Handle).Int(Off(x)).Mem(mb.Handle).Int(Off(bias)).Mem(my.Handle).Int(Off(y));
        LaunchRows(k, plane, batch * channels);
    }

    // activation.cl's per-kind kernels (GPUAE_ACTIVATION_KERNELS), indexed by Activation; built once so a launch allocates nothing
    private static readonly string[] KindSuffixes = ["linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus"];
    private static readonly string[] ForwardNames = KindSuffixes.Select(k => $"activation_forward_{k}").ToArray();
    private static readonly string[] BackwardNames = KindSuffixes.Select(k => $"activation_backward_{k}").ToArray();
    private static readonly string[] ChannelBiasNames = KindSuffixes.Select(k => $"channel_bias_activation_{k}").ToArray();

    private static string PerKindName(string[] names, Activation activation) =>
        (uint)activation < (uint)names.Length ? names[(int)activation] : throw new ArgumentOutOfRangeException(nameof(activation), activation, null);

    // ---- convolution by im2col ----------------------------------------------------------------

    public void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns)
    {
        var mx = Mem(x, ElementType.Real);
        var mc = Mem(columns, ElementType.Real);
        long inputs = (long)batch * g.Channels * g.Height * g.Width;
        long outputs = (long)g.PatchSize * batch * g.OutHeight * g.OutWidth;
        Need(x, inputs, "Im2Col x");
        Need(columns, outputs, "Im2Col columns");
        if (outputs == 0) return;
        var k = Kernel(ref _kIm2Col, KernelFamily.Conv, "im2col");
        ConvArgs(Begin(k).Mem(mx.Handle).Int(Off(x)).Mem(mc.Handle).Int(Off(columns)), g, batch);
        LaunchRows(k, g.OutWidth, batch * g.OutHeight, g.PatchSize);
    }

    public void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx)
    {
        var mc = Mem(columns, ElementType.Real);
        var mx = Mem(dx, ElementType.Real);
        long inputs = (long)batch * g.Channels * g.Height * g.Width;
        Need(dx, inputs, "Col2Im dx");
        Need(columns, (long)g.PatchSize * batch * g.OutHeight * g.OutWidth, "Col2Im columns");
        if (inputs == 0) return;
        var k = Kernel(ref _kCol2Im, KernelFamily.Conv, "col2im");
        ConvArgs(Begin(k).Mem(mc.Handle).Int(Off(columns)).Mem(mx.Handle).Int(Off(dx)), g, batch);
        LaunchRows(k, g.Width, batch * g.Height, g.Channels);
    }

    private static void ConvArgs(Args args, in ConvGeometry g, int batch) =>
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
        if (inner >= 8)
        {
            var k3 = Kernel(ref _kSwap3, KernelFamily.Conv, "swap_leading_axes_3d");
            Begin(k3).Int(a).Int(b).Int(inner).Mem(ms.Handle).Int(Off(source)).Mem(md.Handle).Int(Off(destination));
            LaunchRows(k3, inner, a, b);
            return;
        }
        var k = Kernel(ref _kSwap, KernelFamily.Conv, "swap_leading_axes");
        Begin(k).Int(a).Int(b).Int(inner).Mem(ms.Handle).Int(Off(source)).Mem(md.Handle).Int(Off(destination));
        Elementwise(k, count);
    }

    // ---- pooling and upsampling ---------------------------------------------------------------

    private static Args PoolArgs(Args args, in PoolGeometry g, int planes) =>
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
        var k = Kernel(ref _kMaxF, KernelFamily.Pool, "maxpool_forward");
        PoolArgs(Begin(k), g, planes).Mem(mx.Handle).Int(Off(x)).Mem(my.Handle).Int(Off(y)).Mem(ma.Handle).Int(Off(argmax));
        LaunchRows(k, g.OutWidth, planes * g.OutHeight);
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
        var k = Kernel(ref _kMaxB, KernelFamily.Pool, "maxpool_backward");
        PoolArgs(Begin(k), g, planes).Mem(mdy.Handle).Int(Off(dy)).Mem(ma.Handle).Int(Off(argmax)).Mem(mdx.Handle).Int(Off(dx));
        LaunchRows(k, g.Width, planes * g.Height);
    }

    public void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        long outputs = (long)planes * g.OutHeight * g.OutWidth;
        Need(x, (long)planes * g.Height * g.Width, "AvgPoolForward x");
        Need(y, outputs, "AvgPoolForward y");
        if (outputs == 0) return;
        var k = Kernel(ref _kAvgF, KernelFamily.Pool, "avgpool_forward");
        PoolArgs(Begin(k), g, planes).Mem(mx.Handle).Int(Off(x)).Mem(my.Handle).Int(Off(y));
        LaunchRows(k, g.OutWidth, planes * g.OutHeight);
    }

    public void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx)
    {
        var mdy = Mem(dy, ElementType.Real);
        var mdx = Mem(dx, ElementType.Real);
        long inputs = (long)planes * g.Height * g.Width;
        Need(dy, (long)planes * g.OutHeight * g.OutWidth, "AvgPoolBackward dy");
        Need(dx, inputs, "AvgPoolBackward dx");
        if (inputs == 0) return;
        var k = Kernel(ref _kAvgB, KernelFamily.Pool, "avgpool_backward");
        PoolArgs(Begin(k), g, planes).Mem(mdy.Handle).Int(Off(dy)).Mem(mdx.Handle).Int(Off(dx));
        LaunchRows(k, g.Width, planes * g.Height);
    }

    public void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y)
    {
        var mx = Mem(x, ElementType.Real);
        var my = Mem(y, ElementType.Real);
        long outputs = (long)planes * height * scaleH * width * scaleW;
        Need(x, (long)planes * height * width, "UpsampleNearestForward x");
        Need(y, outputs, "UpsampleNearestForward y");
        if (outputs == 0) return;
        var k = Kernel(ref _kUpF, KernelFamily.Upsample, "upsample_nearest_forward");
        Begin(k).Int(planes).Int(height).Int(width).Int(scaleH).Int(scaleW).Mem(mx.Handle).Int(Off(x)).Mem(my.Handle).Int(Off(y));
        LaunchRows(k, width * scaleW, planes * height * scaleH);
    }

    public void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx)
    {
        var mdy = Mem(dy, ElementType.Real);
        var mdx = Mem(dx, ElementType.Real);
        long inputs = (long)planes * height * width;
        Need(dy, inputs * scaleH * scaleW, "UpsampleNearestBackward dy");
        Need(dx, inputs, "UpsampleNearestBackward dx");
        if (inputs == 0) return;
        var k = Kernel(ref _kUpB, KernelFamily.Upsample, "upsample_nearest_backward");
        Begin(k).Int(planes).Int(height).Int(width).Int(scaleH).Int(scaleW).Mem(mdy.Handle).Int(Off(dy)).Mem(mdx.Handle).Int(Off(dx));
        LaunchRows(k, width, planes * height);
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
        nint gradHandle = _dummy;
        int gradOff = 0;
        if (gradient is { } gv)
        {
            gradHandle = Mem(gv, ElementType.Real, "gradient").Handle;
            SameLength(prediction, gv);
            gradOff = Off(gv);
        }
        int n = checked((int)prediction.Length);
        int groups = ReduceGroupCount(n);
        if (_reduceLocal == 1 && n > 0)
        {
            // CPU devices: evaluate the terms element-parallel (vectorised math), then a sequential-chunk sum.
            var terms = Terms(n);
            var ke = Kernel(ref _kLossElementwise[(int)kind], KernelFamily.Loss, kind switch
            {
                LossKind.SquaredError => "loss_elementwise_squared",
                LossKind.AbsoluteError => "loss_elementwise_absolute",
                LossKind.BinaryCrossEntropyWithLogits => "loss_elementwise_bce_logits",
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
            });
            Begin(ke).Int(n).Mem(mp.Handle).Int(Off(prediction)).Mem(mt.Handle).Int(Off(target))
                .Float(scale).Mem(gradHandle).Int(gradOff).Int(gradient.HasValue ? 1 : 0).Mem(terms);
            Elementwise(ke, n);
            var ks = Kernel(ref _kSumPartials, KernelFamily.Reduce, "sum_partials");
            Begin(ks).Mem(terms).Int(0).Int(n).Mem(_partials);
            Launch(ks, groups, 1);
            SumFinal(groups, scale, ml.Handle, Off(loss), accumulateLoss);
            return;
        }
        var k = Kernel(ref _kLoss, KernelFamily.Loss, "loss_partials");
        Begin(k).Int((int)kind).Int(n).Mem(mp.Handle).Int(Off(prediction)).Mem(mt.Handle).Int(Off(target))
            .Float(scale).Mem(gradHandle).Int(gradOff).Int(gradient.HasValue ? 1 : 0).Mem(_partials);
        Launch(k, groups * _reduceLocal, _reduceLocal);
        SumFinal(groups, scale, ml.Handle, Off(loss), accumulateLoss);
    }

    /// <summary>Grow-only scratch for per-element loss terms (CPU devices).</summary>
    private nint Terms(int n)
    {
        if (n > _termsElements)
        {
            if (_terms != 0) Cl.clReleaseMemObject(_terms);
            _terms = 0;
            _terms = CreateMemory((long)n * sizeof(float));
            _termsElements = n;
        }
        return _terms;
    }

    private int ReduceGroupCount(int n) => Math.Clamp((n + _reduceLocal - 1) / _reduceLocal, 1, ReduceGroups);

    private void SumFinal(int count, float scale, nint result, int resultOff, bool accumulate)
    {
        var k = Kernel(ref _kSumFinal, KernelFamily.Reduce, "sum_final");
        Begin(k).Mem(_partials).Int(count).Float(scale).Mem(result).Int(resultOff).Int(accumulate ? 1 : 0);
        Launch(k, _reduceLocal, _reduceLocal);
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
        var (dhHandle, dhOff) = Optional(dh, n, "ActivityPenalty dh");
        if (n == 0) return;
        int groups = PenaltyGroupCount(units);
        var k = Kernel(ref _kActivityPenalty, KernelFamily.Penalty, "activity_penalty");
        Begin(k).Int((int)kind).Int(batch).Int(units).Mem(mh.Handle).Int(Off(h)).Float(strength).Float(rho)
            .Mem(dhHandle).Int(dhOff).Int(dh.HasValue ? 1 : 0).Mem(_partials);
        Launch(k, groups * _reduceLocal, _reduceLocal);
        SumFinal(groups, 1f, ml.Handle, Off(loss), accumulate: true);
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
        var (lossHandle, lossOff) = Optional(loss, 1, "ContractivePenalty loss");
        var (dhHandle, dhOff) = Optional(dh, n, "ContractivePenalty dh");
        var (dwHandle, dwOff) = Optional(dWeight, w, "ContractivePenalty dWeight");
        if (n == 0) return;
        int groups = PenaltyGroupCount(units);
        var k = Kernel(ref _kContractivePenalty, KernelFamily.Penalty, "contractive_penalty");
        Begin(k).Int((int)activation).Int(batch).Int(units).Int(inputs).Mem(mh.Handle).Int(Off(h)).Mem(mw.Handle).Int(Off(weight))
            .Float(strength).Mem(dhHandle).Int(dhOff).Int(dh.HasValue ? 1 : 0).Mem(dwHandle).Int(dwOff).Int(dWeight.HasValue ? 1 : 0)
            .Mem(_partials);
        Launch(k, groups * _reduceLocal, _reduceLocal);
        if (loss.HasValue) SumFinal(groups, 1f, lossHandle, lossOff, accumulate: true);
    }

    /// <summary>One work-group per code unit, at most <see cref="ReduceGroups"/> (each then owns every G-th unit),
    /// so the per-group loss terms fit the stage-1 partials of sum_final.</summary>
    private static int PenaltyGroupCount(int units) => Math.Clamp(units, 1, ReduceGroups);

    /// <summary>(handle, offset) of an optional real view of at least <paramref name="elements"/>, or the dummy buffer.</summary>
    private (nint Handle, int Offset) Optional(BufferView? view, long elements, string what)
    {
        if (view is not { } v) return (_dummy, 0);
        var m = Mem(v, ElementType.Real, what);
        Need(v, elements, what);
        return (m.Handle, Off(v));
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
        nint s1 = _dummy, s2 = _dummy;
        int s1Off = 0, s2Off = 0;
        if (needs1) { s1 = Mem(state1, ElementType.Real).Handle; SameLength(parameters, state1); s1Off = Off(state1); }
        if (needs2) { s2 = Mem(state2, ElementType.Real).Handle; SameLength(parameters, state2); s2Off = Off(state2); }
        if (needs2 && step.Step < 1) throw new ArgumentOutOfRangeException(nameof(step), step.Step, "Adam steps are 1-based");
        if (parameters.IsEmpty) return;
        var (bc1, bc2Sqrt) = step.BiasCorrections();
        var k = Kernel(ref _kOptim, KernelFamily.Optim, "optimizer_update");
        Begin(k).Int((int)step.Kind).Int((int)parameters.Length).Mem(mp.Handle).Int(Off(parameters)).Mem(mg.Handle).Int(Off(gradients))
            .Mem(s1).Int(s1Off).Mem(s2).Int(s2Off)
            .Float(step.LearningRate).Float(step.Beta1).Float(step.Beta2).Float(step.Epsilon).Float(step.Momentum)
            .Float(step.Rho).Float(step.WeightDecay).Float(bc1).Float(bc2Sqrt);
        Elementwise(k, parameters.Length);
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
        var k = Kernel(ref _kGather, KernelFamily.Elementwise, "gather_rows");
        Begin(k).Mem(ms.Handle).Int(Off(source)).Int(rowLength).Mem(mi.Handle).Int(Off(indices)).Int((int)indices.Length)
            .Mem(md.Handle).Int(Off(destination));
        LaunchRows(k, rowLength, (int)indices.Length);
    }

    public void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination)
    {
        var md = Mem(destination, ElementType.Real);
        if (destination.IsEmpty) return;
        var k = Kernel(ref _kRand, KernelFamily.Rand, "random_fill");
        Begin(k).Int((int)distribution).Value(seed).Value(offset).Mem(md.Handle).Int(Off(destination)).Int((int)destination.Length);
        Elementwise(k, (destination.Length + 3) / 4);
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
        var k = Kernel(ref _kVaeForward, KernelFamily.Vae, "vae_reparameterize_forward");
        Begin(k).Int((int)z.Length).Mem(mm.Handle).Int(Off(mean)).Mem(ml.Handle).Int(Off(logVar))
            .Mem(me.Handle).Int(Off(epsilon)).Mem(mz.Handle).Int(Off(z));
        Elementwise(k, z.Length);
    }

    public void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale,
        BufferView loss, bool accumulateLoss, VaeGradients? gradients)
    {
        var mm = Mem(mean, ElementType.Real);
        var ml = Mem(logVar, ElementType.Real);
        var mLoss = Mem(loss, ElementType.Real);
        SameLength(mean, logVar);
        if (loss.Length < 1) throw new ArgumentException("VaeReparameterizeBackward needs a one-element loss view", nameof(loss));
        nint eps = _dummy, dz = _dummy, dMean = _dummy, dLogVar = _dummy;
        int epsOff = 0, dzOff = 0, dMeanOff = 0, dLogVarOff = 0;
        if (gradients is { } g)
        {
            SameLength(mean, epsilon);
            SameLength(mean, g.Dz);
            SameLength(mean, g.DMean);
            SameLength(mean, g.DLogVar);
            (eps, epsOff) = (Mem(epsilon, ElementType.Real).Handle, Off(epsilon));
            (dz, dzOff) = (Mem(g.Dz, ElementType.Real, "dz").Handle, Off(g.Dz));
            (dMean, dMeanOff) = (Mem(g.DMean, ElementType.Real, "dMean").Handle, Off(g.DMean));
            (dLogVar, dLogVarOff) = (Mem(g.DLogVar, ElementType.Real, "dLogVar").Handle, Off(g.DLogVar));
        }
        int n = checked((int)mean.Length);
        int groups = ReduceGroupCount(n);
        var k = Kernel(ref _kVaeBackward, KernelFamily.Vae, "vae_reparameterize_backward_partials");
        Begin(k).Int(n).Mem(mm.Handle).Int(Off(mean)).Mem(ml.Handle).Int(Off(logVar)).Mem(eps).Int(epsOff).Mem(dz).Int(dzOff)
            .Float(klScale).Mem(dMean).Int(dMeanOff).Mem(dLogVar).Int(dLogVarOff).Int(gradients.HasValue ? 1 : 0).Mem(_partials);
        Launch(k, groups * _reduceLocal, _reduceLocal);
        SumFinal(groups, klScale, mLoss.Handle, Off(loss), accumulateLoss);
    }

    // ---- reductions ---------------------------------------------------------------------------

    public void Sum(BufferView x, BufferView result, bool accumulate)
    {
        var mx = Mem(x, ElementType.Real);
        var mr = Mem(result, ElementType.Real);
        if (result.Length < 1) throw new ArgumentException("Sum needs a one-element result view", nameof(result));
        int n = checked((int)x.Length);
        int groups = ReduceGroupCount(n);
        var k = Kernel(ref _kSumPartials, KernelFamily.Reduce, "sum_partials");
        Begin(k).Mem(mx.Handle).Int(Off(x)).Int(n).Mem(_partials);
        Launch(k, groups * _reduceLocal, _reduceLocal);
        SumFinal(groups, 1f, mr.Handle, Off(result), accumulate);
    }

    public void RowSums(int rows, int cols, BufferView x, BufferView result) => RowSumsCore(rows, cols, x, result, false);

    private void RowSumsCore(int rows, int cols, BufferView x, BufferView result, bool accumulate)
    {
        var mx = Mem(x, ElementType.Real);
        var mr = Mem(result, ElementType.Real);
        Need(x, (long)rows * cols, "row sums x");
        Need(result, rows, "row sums result");
        if (rows == 0) return;
        var k = Kernel(ref _kRowSums, KernelFamily.Reduce, "row_sums");
        Begin(k).Int(rows).Int(cols).Mem(mx.Handle).Int(Off(x)).Mem(mr.Handle).Int(Off(result)).Int(accumulate ? 1 : 0);
        Launch(k, rows * _reduceLocal, _reduceLocal);
    }

    private void ColumnSums(int rows, int cols, BufferView x, BufferView result, bool accumulate)
    {
        var mx = Mem(x, ElementType.Real);
        var mr = Mem(result, ElementType.Real);
        Need(x, (long)rows * cols, "column sums x");
        Need(result, cols, "column sums result");
        if (cols == 0) return;
        var k = Kernel(ref _kColumnSums, KernelFamily.Reduce, "column_sums");
        Begin(k).Int(rows).Int(cols).Mem(mx.Handle).Int(Off(x)).Mem(mr.Handle).Int(Off(result)).Int(accumulate ? 1 : 0);
        Launch(k, cols, ElementwiseLocal);
    }

    // ---- checks and lifetime ------------------------------------------------------------------

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
        _disposed = true;
        Cl.clFinish(_queue);
        if (_lastEvent != 0) Cl.clReleaseEvent(_lastEvent);
        foreach (var kernel in _kernels.Values) Cl.clReleaseKernel(kernel);
        foreach (var program in _programs) if (program != 0) Cl.clReleaseProgram(program);
        if (_scratch != 0) Cl.clReleaseMemObject(_scratch);
        if (_terms != 0) Cl.clReleaseMemObject(_terms);
        Cl.clReleaseMemObject(_partials);
        Cl.clReleaseMemObject(_dummy);
        Cl.clReleaseCommandQueue(_queue);
        Cl.clReleaseContext(_context);
    }
}

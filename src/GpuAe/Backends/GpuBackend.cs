using System.Buffers;
using System.Runtime.CompilerServices;

namespace GpuAe.Backends;

/// <summary>
/// The shared core of the GPU backends (OpenCL, CUDA). Every <see cref="IBackend"/> method is written here once:
/// its views are checked (a live buffer of this backend, the element type, the lengths the sizes need), empty work
/// is skipped, and the portable kernel's arguments are packed on the stack (<see cref="KernelArgs"/>) in the order
/// kernels/common/portable.h bodies take them. Then it calls <see cref="Launch"/> — the one thing a backend does its
/// own way (an NDRange on a queue, or a grid on a stream) — or one of the few hooks where a backend launches
/// something else (GEMM kernels and tiles, OpenCL's CPU-device loss, CUDA's step-capture variants).
/// <para>
/// Why a base class rather than a validated front over a launch interface (ggml's generic functions over a
/// backend vtable): the abstract members here are that vtable, and the non-virtual ABI methods are the generic
/// functions that check arguments once and dispatch. A separate front object would have to forward everything a
/// backend offers beyond the ABI (CUDA's <see cref="IStepCapture"/> and <see cref="IStreamFork"/>, device info,
/// profiling, warm-up) and would put a second object between the executor and each launch; with the base class
/// the backend stays the one object users open, and each backend file keeps only how it launches.
/// </para>
/// Nothing is allocated per launch. Not thread-safe.
/// </summary>
// every launch stackallocs its argument block and writes each value before it is read: skip zeroing it
[System.Runtime.CompilerServices.SkipLocalsInit]
public abstract unsafe class GpuBackend : IBackend
{
    /// <summary>Work-groups of the first pass of the two-pass reductions (Sum, Loss, penalties, KL): the partial
    /// sums block (<see cref="Partials"/>) holds this many floats.</summary>
    public const int ReduceGroups = 64;

    private readonly string _api;
    private bool _disposed;

    /// <param name="api">"OpenCL" or "CUDA", for messages.</param>
    /// <param name="reduceLocal">Work-items per work-group of the reduction kernels (REDUCE_LOCAL they are built with).</param>
    protected GpuBackend(string api, int reduceLocal)
    {
        _api = api;
        ReduceLocal = reduceLocal;
    }

    public abstract string Name { get; }
    public abstract string DeviceName { get; }
    public int RealSize => sizeof(float);

    /// <summary>Work-items per work-group of the reduction kernels; <see cref="LaunchKind.Groups"/> launches use it.</summary>
    public int ReduceLocal { get; }

    protected bool IsDisposed => _disposed;

    /// <summary>Kernel launches enqueued so far, per entry (diagnostics: launches per training step).</summary>
    public LaunchCounter Launches { get; } = new();

    /// <summary>Adds one launch of <paramref name="entry"/> to <see cref="Launches"/>; every backend calls it where it enqueues a kernel.</summary>
    protected void CountLaunch(KernelEntry entry) => Launches.Count(entry);

    // ---- what a backend provides ---------------------------------------------------------------

    /// <summary>Enqueues <paramref name="kernel"/> with <paramref name="args"/> laid out as <paramref name="shape"/>.</summary>
    protected abstract void Launch(KernelEntry kernel, in KernelArgs args, in LaunchShape shape);

    /// <summary>Enqueues a checked GEMM (the backend picks the kernel variant and tile).</summary>
    protected abstract void LaunchGemm(in GemmCall gemm);

    /// <summary>Device memory of <paramref name="bytes"/> (at least 4); throws <see cref="InsufficientMemoryException"/>
    /// (see <see cref="OutOfDeviceMemory"/>) when the device has no room.</summary>
    protected abstract nint AllocateMemory(long bytes);

    /// <summary>Frees memory from <see cref="AllocateMemory"/> (a buffer being disposed, possibly after the backend).</summary>
    protected internal abstract void FreeBuffer(nint handle);

    /// <summary>Blocking copies between host memory and a view (count = the view's length).</summary>
    protected abstract void Write(in KernelView destination, void* source);
    protected abstract void Read(in KernelView source, void* destination);

    /// <summary>Enqueues a device-to-device copy of equal-length views.</summary>
    protected abstract void CopyMemory(in KernelView source, in KernelView destination);

    /// <summary><see cref="ReduceGroups"/> floats for the first pass of a reduction (per stream where there are several).</summary>
    protected abstract nint Partials { get; }

    /// <summary>A small buffer bound where an optional view is absent (the kernel is told by a flag).</summary>
    protected abstract nint Dummy { get; }

    /// <summary>Frees the backend's own resources (once, from <see cref="Dispose"/>).</summary>
    protected abstract void ReleaseDevice();

    public abstract void Synchronize();

    /// <summary>Whether <see cref="LaunchKind.Rows"/> may span <paramref name="planes"/> planes (CUDA: the grid-z limit).</summary>
    protected virtual bool CanLaunchPlanes(int planes) => true;

    /// <summary>While a step is being captured, step-dependent values (Adam's t) come from device memory, not arguments.</summary>
    protected virtual bool StepValuesFromDevice => false;

    // ---- memory ---------------------------------------------------------------------------------

    public DeviceBuffer Allocate(long length, ElementType type = ElementType.Real)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"{_api} buffers hold at most 2^31-1 elements (kernels index with int)");
        return new GpuBuffer(this, AllocateMemory(Math.Max(length * 4, 4)), length, type);
    }

    /// <summary>
    /// Device memory someone else owns (a caller's <c>cl_mem</c> of this backend's context, or a <c>CUdeviceptr</c>
    /// in its CUDA context) as a buffer of this backend, so kernels read and write it like their own. Nothing is
    /// copied or allocated; disposing the result never frees <paramref name="handle"/>. The caller checks that the
    /// memory holds <paramref name="length"/> elements (the backends' <c>BorrowBuffer</c> do, through their API).
    /// </summary>
    public DeviceBuffer Borrow(nint handle, long length, ElementType type = ElementType.Real)
    {
        ThrowIfDisposed();
        if (handle == 0) throw new ArgumentException("a borrowed device buffer must not be NULL");
        if (length is < 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"{_api} buffers hold at most 2^31-1 elements (kernels index with int)");
        return new GpuBuffer(this, handle, length, type, owned: false);
    }

    /// <summary>The error of an allocation the device has no room for: what was asked and what the device has
    /// (<paramref name="deviceMemory"/>, e.g. "1.2 GiB free of 80 GiB").</summary>
    protected InsufficientMemoryException OutOfDeviceMemory(long bytes, string deviceMemory, Exception? inner = null) =>
        new($"{Name}: out of device memory: {Units.Bytes(bytes)} requested on {DeviceName}, {deviceMemory}", inner);

    /// <summary>"12.3 MiB"-style byte counts for messages.</summary>
    protected static string Bytes(long bytes) => Units.Bytes(bytes);

    public void Upload(BufferView destination, ReadOnlySpan<float> source)
    {
        fixed (float* p = source) Transfer(destination, ElementType.Real, p, source.Length, upload: true);
    }

    public void Upload(BufferView destination, ReadOnlySpan<int> source)
    {
        fixed (int* p = source) Transfer(destination, ElementType.Int32, p, source.Length, upload: true);
    }

    public void Download(BufferView source, Span<float> destination)
    {
        fixed (float* p = destination) Transfer(source, ElementType.Real, p, destination.Length, upload: false);
    }

    public void Download(BufferView source, Span<int> destination)
    {
        fixed (int* p = destination) Transfer(source, ElementType.Int32, p, destination.Length, upload: false);
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

    private void Transfer(BufferView view, ElementType type, void* host, long count, bool upload)
    {
        ThrowIfDisposed();
        var v = View(view, type, "view");
        if (count != view.Length) throw new ArgumentException($"{(upload ? "Upload" : "Download")}: view has {view.Length} elements, host span {count}");
        if (count == 0) return;
        if (upload) Write(v, host);
        else Read(v, host);
    }

    // ---- fill / copy / axpy -------------------------------------------------------------------

    public void Fill(BufferView x, float value)
    {
        var vx = Real(x);
        if (vx.IsEmpty) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vx).Int(vx.Length).Float(value);
        Launch(PortableKernels.Fill, a, LaunchShape.Elementwise(vx.Length));
    }

    public void Copy(BufferView source, BufferView destination)
    {
        var s = View(source, source.Buffer.ElementType);
        var d = View(destination, source.Buffer.ElementType);
        SameLength(source, destination);
        if (s.IsEmpty) return;
        CopyMemory(s, d);
    }

    public void Axpy(float alpha, BufferView x, BufferView y)
    {
        var vx = Real(x);
        var vy = Real(y);
        SameLength(x, y);
        if (vx.IsEmpty) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(vx.Length).Float(alpha).View(vx).View(vy);
        Launch(PortableKernels.Axpy, a, LaunchShape.Elementwise(vx.Length));
    }

    public void Scale(BufferView x, float alpha)
    {
        var vx = Real(x);
        if (vx.IsEmpty) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vx).Int(vx.Length).Float(alpha);
        Launch(PortableKernels.Scale, a, LaunchShape.Elementwise(vx.Length));
    }

    public void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max)
    {
        ClampRange.Check(nameof(AddClampedNoise), min, max);
        var vc = Real(clean);
        var vn = Real(noise);
        SameLength(clean, noise);
        if (vn.IsEmpty) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(vn.Length).View(vc).Float(factor).View(vn).Float(min).Float(max);
        Launch(PortableKernels.AddClampedNoise, a, LaunchShape.Elementwise(vn.Length));
    }

    // ---- GEMM ---------------------------------------------------------------------------------

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, BufferView a, int lda, BufferView b, int ldb,
        float beta, BufferView c, int ldc,
        BiasMode biasMode = BiasMode.None, BufferView? bias = null, Activation activation = Activation.Linear)
    {
        var va = Real(a);
        var vb = Real(b);
        var vc = Real(c);
        // The same argument checks (and messages) as every other backend.
        GemmShapes.Check(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc, biasMode, bias?.Length);
        var vbias = biasMode == BiasMode.None ? new KernelView(Dummy, 0, 0) : View(bias!.Value, ElementType.Real, "bias");
        if (m == 0 || n == 0) return;
        LaunchGemm(new GemmCall(transA, transB, m, n, k, alpha, va, lda, vb, ldb, beta, vc, ldc, biasMode, vbias, activation,
            GemmFusion.None(Dummy)));
    }

    public void GemmActivationGradient(Transpose transA, Transpose transB, int m, int n, int k, Activation activation,
        BufferView y, BufferView dy, int lda, BufferView b, int ldb, BufferView c, int ldc, BufferView? rowSums = null)
    {
        var vdy = Real(dy);
        var vb = Real(b);
        var vc = Real(c);
        GemmShapes.Check(transA, transB, m, n, k, dy.Length, lda, b.Length, ldb, c.Length, ldc, BiasMode.None, null);
        GemmShapes.CheckActivationGradient(transA, m, n, k, activation, y.Length, dy.Length, lda, rowSums?.Length);
        var fuse = rowSums is null ? GemmFuse.None : GemmFuse.RowSums;
        var vy = new KernelView(Dummy, 0, 0);
        if (activation != Activation.Linear)
        {
            fuse |= GemmFuse.ActivationDerivative;
            vy = Real(y);
        }
        var vsums = Optional(rowSums, m, "GemmActivationGradient rowSums");
        if (m == 0 || n == 0) return;
        var d = new KernelView(Dummy, 0, 0);
        LaunchGemm(new GemmCall(transA, transB, m, n, k, 1f, vdy, lda, vb, ldb, 0f, vc, ldc, BiasMode.None, d, Activation.Linear,
            new GemmFusion(fuse, activation, vy, vsums, d, d)));
    }

    public void GemmGatherRows(Transpose transB, int m, int n, int k, BufferView source, BufferView indices, BufferView gathered,
        BufferView b, int ldb, BufferView c, int ldc, BiasMode biasMode = BiasMode.None, BufferView? bias = null,
        Activation activation = Activation.Linear)
    {
        var vs = Real(source);
        var vi = View(indices, ElementType.Int32);
        var vg = Real(gathered);
        var vb = Real(b);
        var vc = Real(c);
        if (indices.Length < m) throw new ArgumentException($"GemmGatherRows indices: needs {m} entries, view has {indices.Length}");
        if (k > 0 && source.Length % k != 0) throw new ArgumentException($"GemmGatherRows source: {source.Length} elements are not rows of {k}");
        Need(gathered, (long)m * k, "GemmGatherRows gathered");
        GemmShapes.Check(Transpose.No, transB, m, n, k, gathered.Length, k, b.Length, ldb, c.Length, ldc, biasMode, bias?.Length);
        if (n == 0 && m > 0 && k > 0) throw new ArgumentException("GemmGatherRows: n must be >= 1 (column block 0 writes the gathered rows)");
        var vbias = biasMode == BiasMode.None ? new KernelView(Dummy, 0, 0) : View(bias!.Value, ElementType.Real, "bias");
        if (m == 0 || n == 0) return;
        var d = new KernelView(Dummy, 0, 0);
        LaunchGemm(new GemmCall(Transpose.No, transB, m, n, k, 1f, vs, k, vb, ldb, 0f, vc, ldc, biasMode, vbias, activation,
            new GemmFusion(GemmFuse.GatherRows, Activation.Linear, d, d, vi, vg)));
    }

    public void BiasGradient(BiasMode mode, int rows, int cols, BufferView dy, BufferView dbias, bool accumulate)
    {
        switch (mode)
        {
            case BiasMode.PerColumn: ColumnSums(rows, cols, dy, dbias, accumulate); break;
            case BiasMode.PerRow: RowSumsCore(rows, cols, dy, dbias, accumulate); break;
            default: throw new ArgumentException($"BiasGradient needs PerColumn or PerRow, got {mode}");
        }
    }

    public void ActivationBackwardBias(Activation activation, int rows, int cols, BufferView y, BufferView dy, BufferView dz, BufferView dbias)
    {
        var vy = Real(y);
        var vdy = Real(dy);
        var vdz = Real(dz);
        var vdb = Real(dbias);
        long n = (long)rows * cols;
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        Need(y, n, "ActivationBackwardBias y");
        Need(dy, n, "ActivationBackwardBias dy");
        Need(dz, n, "ActivationBackwardBias dz");
        Need(dbias, cols, "ActivationBackwardBias dbias");
        if (cols == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)activation).Int(rows).Int(cols).View(vy).View(vdy).View(vdz).View(vdb);
        Launch(PortableKernels.ActivationBackwardBias, a, LaunchShape.Elementwise(cols));
    }

    // ---- activations --------------------------------------------------------------------------

    public void ActivationForward(Activation activation, in ActivationParameters parameters, BufferView x, BufferView y)
    {
        parameters.Check(nameof(ActivationForward));
        var vx = Real(x);
        var vy = Real(y);
        SameLength(x, y);
        if (vx.IsEmpty) return;
        var kernel = PortableKernels.ActivationForward(activation);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(vx.Length).View(vx).View(vy);
        Launch(kernel, ActivationArgs(a, parameters), LaunchShape.Elementwise(vx.Length));
    }

    public void ActivationBackward(Activation activation, in ActivationParameters parameters, BufferView y, BufferView dy, BufferView dx)
    {
        parameters.Check(nameof(ActivationBackward));
        var vy = Real(y);
        var vdy = Real(dy);
        var vdx = Real(dx);
        SameLength(y, dy);
        SameLength(y, dx);
        if (vy.IsEmpty) return;
        var kernel = PortableKernels.ActivationBackward(activation);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(vy.Length).View(vy).View(vdy).View(vdx);
        Launch(kernel, ActivationArgs(a, parameters), LaunchShape.Elementwise(vy.Length));
    }

    /// <summary>The trailing (slope, alpha, beta, threshold) of the standalone activation kernels.</summary>
    private static KernelArgs ActivationArgs(KernelArgs args, in ActivationParameters p) =>
        args.Float(p.NegativeSlope).Float(p.Alpha).Float(p.Beta).Float(p.Threshold);

    public void ChannelBiasActivation(Activation activation, int batch, int channels, int plane, BufferView x, BufferView bias, BufferView y)
    {
        var vx = Real(x);
        var vb = Real(bias);
        var vy = Real(y);
        long count = (long)batch * channels * plane;
        Need(x, count, "ChannelBiasActivation x");
        Need(bias, channels, "ChannelBiasActivation bias");
        Need(y, count, "ChannelBiasActivation y");
        if (count == 0) return;
        var kernel = PortableKernels.ChannelBiasActivation(activation);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(plane).Int(channels).View(vx).View(vb).View(vy);
        Launch(kernel, a, LaunchShape.Rows(plane, batch * channels));
    }

    // ---- convolution by im2col ----------------------------------------------------------------

    public void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns)
    {
        var vx = Real(x);
        var vc = Real(columns);
        long outputs = (long)g.PatchSize * batch * g.OutHeight * g.OutWidth;
        Need(x, (long)batch * g.Channels * g.Height * g.Width, "Im2Col x");
        Need(columns, outputs, "Im2Col columns");
        if (outputs == 0) return;
        var a = ConvArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vx).View(vc), g, batch);
        Launch(PortableKernels.Im2Col, a, LaunchShape.Rows(g.OutWidth, batch * g.OutHeight, g.PatchSize));
    }

    public void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx)
    {
        var vc = Real(columns);
        var vx = Real(dx);
        long inputs = (long)batch * g.Channels * g.Height * g.Width;
        Need(dx, inputs, "Col2Im dx");
        Need(columns, (long)g.PatchSize * batch * g.OutHeight * g.OutWidth, "Col2Im columns");
        if (inputs == 0) return;
        var a = ConvArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vc).View(vx), g, batch);
        Launch(PortableKernels.Col2Im, a, LaunchShape.Rows(g.Width, batch * g.Height, g.Channels));
    }

    private static KernelArgs ConvArgs(KernelArgs args, in ConvGeometry g, int batch) =>
        args.Int(batch).Int(g.Channels).Int(g.Height).Int(g.Width).Int(g.KernelH).Int(g.KernelW)
            .Int(g.StrideH).Int(g.StrideW).Int(g.PadTop).Int(g.PadLeft).Int(g.DilationH).Int(g.DilationW)
            .Int(g.OutHeight).Int(g.OutWidth);

    public void SwapLeadingAxes(int a, int b, int inner, BufferView source, BufferView destination)
    {
        var vs = Real(source);
        var vd = Real(destination);
        long count = (long)a * b * inner;
        Need(source, count, "SwapLeadingAxes source");
        Need(destination, count, "SwapLeadingAxes destination");
        if (count == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(a).Int(b).Int(inner).View(vs).View(vd);
        // rows of `inner` elements when they are long enough to fill a work-group row, else one item per element
        if (inner >= 8 && CanLaunchPlanes(b)) Launch(PortableKernels.SwapLeadingAxes3d, args, LaunchShape.Rows(inner, a, b));
        else Launch(PortableKernels.SwapLeadingAxes, args, LaunchShape.Elementwise(count));
    }

    // ---- direct convolution -------------------------------------------------------------------

    /// <summary>
    /// <see cref="DirectConvolution"/> when set, else <see cref="DirectConvolutionRule"/>.
    /// </summary>
    public bool PrefersDirectConvolution(ConvGeometry g, int filters) => DirectConvolution ?? DirectConvolutionRule(g, filters);

    /// <summary>Forces the convolution path for every geometry (the backends' options; null: <see cref="DirectConvolutionRule"/>).</summary>
    protected bool? DirectConvolution { get; init; }

    /// <summary>
    /// The rule of both GPU backends (a backend may override it per device): direct convolution while
    /// filters x C x KH x KW is at most <see cref="DirectConvolutionMaxWeights"/>. Each work-item of the direct kernels
    /// reads its C·KH·KW weights (and inputs) from global memory with no shared-memory tiling, so for wide layers the
    /// tiled GEMM's reuse wins; for the small layers autoencoders are made of (every preset: at most 32·9·32 = 9216) the
    /// three direct launches per layer and step replace nine (im2col + GEMM + swap forward; activation backward + swap +
    /// two GEMMs + bias sums + col2im backward) and no column matrix is written and read back. Measured on PoCL (2 cores,
    /// loaded machine): a conv-preset epoch of 1280 samples at batch 128 took 14.2 s direct against 15.5 s by im2col,
    /// same losses. The threshold itself is a judgement, not measured on a GPU (none here).
    /// </summary>
    protected virtual bool DirectConvolutionRule(ConvGeometry g, int filters) => (long)filters * g.PatchSize <= DirectConvolutionMaxWeights;

    /// <summary>The largest weight count (filters x C x KH x KW) the GPU rule sends to the direct kernels.</summary>
    public const int DirectConvolutionMaxWeights = 32768;

    public void ConvForward(ConvGeometry g, int batch, int filters, BufferView x, BufferView w, BufferView bias, Activation activation, BufferView y)
    {
        var vx = Real(x);
        var vw = Real(w);
        var vb = Real(bias);
        var vy = Real(y);
        long outputs = (long)batch * filters * g.OutHeight * g.OutWidth;
        DirectConvChecks(nameof(ConvForward), g, batch, filters, activation, x, "ConvForward x", w, "ConvForward w");
        Need(bias, filters, "ConvForward bias");
        Need(y, outputs, "ConvForward y");
        if (outputs == 0) return;
        var a = DirectConvArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vx).View(vw).View(vb).View(vy), g, batch, filters, activation);
        Launch(PortableKernels.ConvForward, a, LaunchShape.Rows(g.OutWidth, checked(batch * filters * g.OutHeight)));
    }

    public void ConvBackwardData(ConvGeometry g, int batch, int filters, Activation activation, BufferView y, BufferView dy, BufferView w, BufferView dx)
    {
        var vy = Real(y);
        var vdy = Real(dy);
        var vw = Real(w);
        var vdx = Real(dx);
        long outputs = (long)batch * filters * g.OutHeight * g.OutWidth, inputs = (long)batch * g.Channels * g.Height * g.Width;
        DirectConvChecks(nameof(ConvBackwardData), g, batch, filters, activation, dx, "ConvBackwardData dx", w, "ConvBackwardData w");
        Need(y, outputs, "ConvBackwardData y");
        Need(dy, outputs, "ConvBackwardData dy");
        if (inputs == 0) return;
        var a = DirectConvArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vy).View(vdy).View(vw).View(vdx), g, batch, filters, activation);
        Launch(PortableKernels.ConvBackwardData, a, LaunchShape.Rows(g.Width, checked(batch * g.Channels * g.Height)));
    }

    public void ConvBackwardFilter(ConvGeometry g, int batch, int filters, Activation activation, BufferView x, BufferView y, BufferView dy, BufferView dw, BufferView db)
    {
        var vx = Real(x);
        var vy = Real(y);
        var vdy = Real(dy);
        var vdw = Real(dw);
        var vdb = Real(db);
        long outputs = (long)batch * filters * g.OutHeight * g.OutWidth, weights = (long)filters * g.PatchSize;
        DirectConvChecks(nameof(ConvBackwardFilter), g, batch, filters, activation, x, "ConvBackwardFilter x", dw, "ConvBackwardFilter dw");
        Need(y, outputs, "ConvBackwardFilter y");
        Need(dy, outputs, "ConvBackwardFilter dy");
        Need(db, filters, "ConvBackwardFilter db");
        if (weights == 0) return;
        // one output per weight, then one per bias (conv_backward_filter); each sums batch*OH*OW terms, all zero for an empty batch
        var a = DirectConvArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vx).View(vy).View(vdy).View(vdw).View(vdb), g, batch, filters, activation);
        int reductions = checked((int)(weights + filters));
        // a work-group of ReduceLocal items per output on GPUs; one work-item per output where ReduceLocal is 1 (CPU devices)
        Launch(PortableKernels.ConvBackwardFilter, a, ReduceLocal == 1 ? LaunchShape.Elementwise(reductions) : LaunchShape.Groups(reductions));
    }

    /// <summary>The checks the three direct-convolution entries share: sizes, a known activation, the input-shaped
    /// view (x or dx, named <paramref name="inputName"/>) and the weight-shaped one (w or dw). The names come whole from the
    /// caller (constants): building them here would allocate a string on every launch.</summary>
    private static void DirectConvChecks(string entry, in ConvGeometry g, int batch, int filters, Activation activation,
        BufferView input, string inputName, BufferView weights, string weightsName)
    {
        if (batch < 0 || filters < 0) throw new ArgumentException($"{entry}: batch and filters must be >= 0, got {batch} and {filters}");
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"{entry}: geometry {g} has an empty output ({g.OutHeight}x{g.OutWidth})");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, $"{entry}: unknown activation");
        Need(input, (long)batch * g.Channels * g.Height * g.Width, inputName);
        Need(weights, (long)filters * g.PatchSize, weightsName);
    }

    /// <summary>The trailing arguments of the direct-convolution kernels: (act, F) and im2col's geometry.</summary>
    private static KernelArgs DirectConvArgs(KernelArgs args, in ConvGeometry g, int batch, int filters, Activation activation) =>
        ConvArgs(args.Int((int)activation).Int(filters), g, batch);

    // ---- pooling and upsampling ---------------------------------------------------------------

    private static KernelArgs PoolArgs(KernelArgs args, in PoolGeometry g, int planes) =>
        args.Int(planes).Int(g.Height).Int(g.Width).Int(g.WindowH).Int(g.WindowW).Int(g.StrideH).Int(g.StrideW)
            .Int(g.PadTop).Int(g.PadLeft).Int(g.OutHeight).Int(g.OutWidth);

    /// <summary>The pool arguments plus what average pooling's divisor needs: the bottom/right padding and count_include_pad.</summary>
    private static KernelArgs AvgPoolArgs(KernelArgs args, in PoolGeometry g, int planes) =>
        PoolArgs(args, g, planes).Int(g.PadBottom).Int(g.PadRight).Int(g.CountPadding ? 1 : 0);

    public void MaxPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y, BufferView argmax)
    {
        var vx = Real(x);
        var vy = Real(y);
        var va = View(argmax, ElementType.Int32);
        long outputs = (long)planes * g.OutHeight * g.OutWidth;
        Need(x, (long)planes * g.Height * g.Width, "MaxPoolForward x");
        Need(y, outputs, "MaxPoolForward y");
        Need(argmax, outputs, "MaxPoolForward argmax");
        if (outputs == 0) return;
        var a = PoolArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]), g, planes).View(vx).View(vy).View(va);
        Launch(PortableKernels.MaxPoolForward, a, LaunchShape.Rows(g.OutWidth, planes * g.OutHeight));
    }

    public void MaxPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView argmax, BufferView dx)
    {
        var vdy = Real(dy);
        var va = View(argmax, ElementType.Int32);
        var vdx = Real(dx);
        long inputs = (long)planes * g.Height * g.Width;
        Need(dy, (long)planes * g.OutHeight * g.OutWidth, "MaxPoolBackward dy");
        Need(argmax, (long)planes * g.OutHeight * g.OutWidth, "MaxPoolBackward argmax");
        Need(dx, inputs, "MaxPoolBackward dx");
        if (inputs == 0) return;
        var a = PoolArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]), g, planes).View(vdy).View(va).View(vdx);
        Launch(PortableKernels.MaxPoolBackward, a, LaunchShape.Rows(g.Width, planes * g.Height));
    }

    public void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y)
    {
        var vx = Real(x);
        var vy = Real(y);
        long outputs = (long)planes * g.OutHeight * g.OutWidth;
        Need(x, (long)planes * g.Height * g.Width, "AvgPoolForward x");
        Need(y, outputs, "AvgPoolForward y");
        if (outputs == 0) return;
        var a = AvgPoolArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]), g, planes).View(vx).View(vy);
        Launch(PortableKernels.AvgPoolForward, a, LaunchShape.Rows(g.OutWidth, planes * g.OutHeight));
    }

    public void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx)
    {
        var vdy = Real(dy);
        var vdx = Real(dx);
        long inputs = (long)planes * g.Height * g.Width;
        Need(dy, (long)planes * g.OutHeight * g.OutWidth, "AvgPoolBackward dy");
        Need(dx, inputs, "AvgPoolBackward dx");
        if (inputs == 0) return;
        var a = AvgPoolArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]), g, planes).View(vdy).View(vdx);
        Launch(PortableKernels.AvgPoolBackward, a, LaunchShape.Rows(g.Width, planes * g.Height));
    }

    public void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y)
    {
        var vx = Real(x);
        var vy = Real(y);
        long outputs = (long)planes * height * scaleH * width * scaleW;
        Need(x, (long)planes * height * width, "UpsampleNearestForward x");
        Need(y, outputs, "UpsampleNearestForward y");
        if (outputs == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(planes).Int(height).Int(width).Int(scaleH).Int(scaleW).View(vx).View(vy);
        Launch(PortableKernels.UpsampleNearestForward, a, LaunchShape.Rows(width * scaleW, planes * height * scaleH));
    }

    public void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx)
    {
        var vdy = Real(dy);
        var vdx = Real(dx);
        long inputs = (long)planes * height * width;
        Need(dy, inputs * scaleH * scaleW, "UpsampleNearestBackward dy");
        Need(dx, inputs, "UpsampleNearestBackward dx");
        if (inputs == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(planes).Int(height).Int(width).Int(scaleH).Int(scaleW).View(vdy).View(vdx);
        Launch(PortableKernels.UpsampleNearestBackward, a, LaunchShape.Rows(width, planes * height));
    }

    public void UpsampleBilinearForward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView x, BufferView y)
    {
        var vx = Real(x);
        var vy = Real(y);
        long outputs = (long)planes * outHeight * outWidth;
        Need(x, (long)planes * height * width, "UpsampleBilinearForward x");
        Need(y, outputs, "UpsampleBilinearForward y");
        if (outputs == 0) return;
        var a = BilinearArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]), planes, height, width, outHeight, outWidth, alignCorners)
            .View(vx).View(vy);
        Launch(PortableKernels.UpsampleBilinearForward, a, LaunchShape.Rows(outWidth, planes * outHeight));
    }

    public void UpsampleBilinearBackward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView dy, BufferView dx)
    {
        var vdy = Real(dy);
        var vdx = Real(dx);
        long inputs = (long)planes * height * width;
        Need(dy, (long)planes * outHeight * outWidth, "UpsampleBilinearBackward dy");
        Need(dx, inputs, "UpsampleBilinearBackward dx");
        if (inputs == 0) return;
        var a = BilinearArgs(new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]), planes, height, width, outHeight, outWidth, alignCorners)
            .View(vdy).View(vdx);
        Launch(PortableKernels.UpsampleBilinearBackward, a, LaunchShape.Rows(width, planes * height));
    }

    private static KernelArgs BilinearArgs(KernelArgs args, int planes, int height, int width, int outHeight, int outWidth, bool alignCorners) =>
        args.Int(planes).Int(height).Int(width).Int(outHeight).Int(outWidth)
            .Float(Bilinear.Ratio(height, outHeight, alignCorners)).Float(Bilinear.Ratio(width, outWidth, alignCorners)).Flag(alignCorners);

    // ---- fused loss + gradient ----------------------------------------------------------------

    public void Loss(LossKind kind, BufferView prediction, BufferView target, float scale,
        BufferView loss, bool accumulateLoss, BufferView? gradient)
    {
        var vp = Real(prediction);
        var vt = Real(target);
        var vl = Real(loss);
        SameLength(prediction, target);
        if (loss.Length < 1) throw new ArgumentException("Loss needs a one-element loss view");
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss");
        var vg = new KernelView(Dummy, 0, 0);
        if (gradient is { } gv)
        {
            vg = View(gv, ElementType.Real, "gradient");
            SameLength(prediction, gv);
        }
        LaunchLoss(kind, vp, vt, scale, vg, gradient.HasValue, vl, accumulateLoss);
    }

    /// <summary>The loss launches: loss_partials then sum_final. OpenCL on CPU devices launches the terms element-parallel first.</summary>
    protected virtual void LaunchLoss(LossKind kind, in KernelView prediction, in KernelView target, float scale,
        in KernelView gradient, bool hasGradient, in KernelView loss, bool accumulate)
    {
        int n = prediction.Length, groups = ReduceGroupCount(n);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)kind).Int(n).View(prediction).View(target)
            .Float(scale).View(gradient).Flag(hasGradient).Ptr(Partials);
        Launch(PortableKernels.LossPartials, a, LaunchShape.Groups(groups));
        SumFinal(groups, scale, loss, accumulate);
    }

    public void LossLanes(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView lanes, BufferView? gradient)
    {
        var vp = Real(prediction);
        var vt = Real(target);
        var vl = Real(lanes);
        SameLength(prediction, target);
        if (lanes.Length < 1) throw new ArgumentException("LossLanes needs at least one loss lane");
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss");
        var vg = Optional(gradient, prediction.Length, "gradient");
        if (gradient is { } gv) SameLength(prediction, gv);
        if (vp.IsEmpty) return;
        // one work-group per lane (each lane has one writer: no atomics), as many as the first reduction pass would use
        int groups = Math.Min(ReduceGroupCount(vp.Length), vl.Length);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)kind).Int(vp.Length).View(vp).View(vt)
            .Float(scale).View(vg).Flag(gradient.HasValue).View(vl);
        Launch(PortableKernels.LossLanes, a, LaunchShape.Groups(groups));
    }

    /// <summary>Work-groups of the first reduction pass over <paramref name="n"/> elements (at most <see cref="ReduceGroups"/>).</summary>
    protected int ReduceGroupCount(int n) => Math.Clamp((n + ReduceLocal - 1) / ReduceLocal, 1, ReduceGroups);

    /// <summary>result[0] (=, or += when <paramref name="accumulate"/>) scale · Σ of the first <paramref name="count"/> partials.</summary>
    protected void SumFinal(int count, float scale, in KernelView result, bool accumulate)
    {
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Ptr(Partials).Int(count).Float(scale).View(result).Flag(accumulate);
        Launch(PortableKernels.SumFinal, a, LaunchShape.Groups(1));
    }

    // ---- penalties on the code -----------------------------------------------------------------

    public void ActivityPenalty(ActivityPenaltyKind kind, int batch, int units, BufferView h, float strength, float rho,
        BufferView loss, BufferView? dh)
    {
        PenaltyShapes.CheckActivity(kind, batch, units, strength, rho);
        long n = (long)batch * units;
        var vh = Real(h);
        var vl = Real(loss);
        Need(h, n, "ActivityPenalty h");
        Need(loss, 1, "ActivityPenalty loss");
        var vdh = Optional(dh, n, "ActivityPenalty dh");
        if (n == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)kind).Int(batch).Int(units).View(vh).Float(strength).Float(rho)
            .View(vdh).Flag(dh.HasValue).Ptr(Partials);
        Launch(PortableKernels.ActivityPenalty, a, LaunchShape.Groups(PenaltyGroupCount(units)));
        SumFinal(PenaltyGroupCount(units), 1f, vl, accumulate: true);
    }

    public void ContractivePenalty(Activation activation, int batch, int units, int inputs, BufferView h, BufferView weight,
        float strength, BufferView? loss, BufferView? dh, BufferView? dWeight)
    {
        PenaltyShapes.CheckContractive(activation, batch, units, inputs, strength);
        long n = (long)batch * units, w = (long)units * inputs;
        var vh = Real(h);
        var vw = Real(weight);
        Need(h, n, "ContractivePenalty h");
        Need(weight, w, "ContractivePenalty weight");
        var vl = Optional(loss, 1, "ContractivePenalty loss");
        var vdh = Optional(dh, n, "ContractivePenalty dh");
        var vdw = Optional(dWeight, w, "ContractivePenalty dWeight");
        if (n == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)activation).Int(batch).Int(units).Int(inputs).View(vh).View(vw)
            .Float(strength).View(vdh).Flag(dh.HasValue).View(vdw).Flag(dWeight.HasValue).Ptr(Partials);
        Launch(PortableKernels.ContractivePenalty, a, LaunchShape.Groups(PenaltyGroupCount(units)));
        if (loss.HasValue) SumFinal(PenaltyGroupCount(units), 1f, vl, accumulate: true);
    }

    /// <summary>One work-group per code unit, at most <see cref="ReduceGroups"/> (each then owns every G-th unit),
    /// so the per-group loss terms fit the partials of sum_final.</summary>
    private static int PenaltyGroupCount(int units) => Math.Clamp(units, 1, ReduceGroups);

    // ---- optimizer ----------------------------------------------------------------------------

    public void OptimizerUpdate(in OptimizerStep step, BufferView parameters, BufferView gradients,
        BufferView state1, BufferView state2, BufferView state3 = default)
    {
        var vp = Real(parameters);
        var vg = Real(gradients);
        SameLength(parameters, gradients);
        KernelView s1 = new(Dummy, 0, 0), s2 = s1, s3 = s1;
        if (step.UsesState1) { s1 = Real(state1); SameLength(parameters, state1); }
        if (step.UsesState2) { s2 = Real(state2); SameLength(parameters, state2); }
        if (step.UsesState3) { s3 = Real(state3); SameLength(parameters, state3); }
        if (step.Kind is OptimizerKind.Adam or OptimizerKind.AdamW && step.Step < 1 && !StepValuesFromDevice)
            throw new ArgumentOutOfRangeException(nameof(step), step.Step, "Adam steps are 1-based");
        if (vp.IsEmpty) return;
        var c = step.Scalars();
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)step.Kind).Int(step.Flags).Int(vp.Length)
            .View(vp).View(vg).View(s1).View(s2).View(s3)
            .Float((float)c.C1).Float((float)c.C1Complement).Float((float)c.C2).Float((float)c.C2Complement).Float((float)c.Epsilon).Float((float)c.L2);
        LaunchOptimizer(c, a, vp.Length);
    }

    /// <summary>optimizer_update with <paramref name="args"/> holding (kind, flags, n, the five views and the run's fixed
    /// scalars); appends the per-step ones (step size, aux, decay). CUDA under step capture reads those from device memory.</summary>
    protected virtual void LaunchOptimizer(in OptimizerScalars scalars, KernelArgs args, int count)
    {
        args = args.Float((float)scalars.StepSize).Float((float)scalars.Aux).Float((float)scalars.Decay);
        Launch(PortableKernels.OptimizerUpdate, args, LaunchShape.Elementwise(count));
    }

    // ---- data movement and random numbers ------------------------------------------------------

    public void GatherRows(BufferView source, int rowLength, BufferView indices, BufferView destination)
    {
        var vs = Real(source);
        var vi = View(indices, ElementType.Int32);
        var vd = Real(destination);
        long count = indices.Length * rowLength;
        Need(destination, count, "GatherRows destination");
        if (count == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vs).Int(rowLength).View(vi).Int(vi.Length).View(vd);
        LaunchGatherRows(a, rowLength, vi.Length);
    }

    /// <summary>gather_rows with <paramref name="args"/> packed; CUDA under step capture reads the batch position from device memory.</summary>
    protected virtual void LaunchGatherRows(KernelArgs args, int rowLength, int rows) =>
        Launch(PortableKernels.GatherRows, args, LaunchShape.Gather(rowLength, rows));

    public void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination)
    {
        var vd = Real(destination);
        if (vd.IsEmpty) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int((int)distribution).U64(seed).U64(offset).View(vd).Int(vd.Length);
        Launch(PortableKernels.RandomFill, a, LaunchShape.Elementwise((vd.Length + 3L) / 4));
    }

    /// <inheritdoc cref="IBackend.RandomForStep"/>
    public virtual void RandomForStep(RandomDistribution distribution, ulong seed, int step, BufferView destination) =>
        Random(distribution, seed, RandomStreams.StepOffset(step, destination.Length), destination);

    // ---- VAE reparameterization ---------------------------------------------------------------

    public void VaeReparameterizeForward(BufferView mean, BufferView logVar, BufferView epsilon, BufferView z)
    {
        var vm = Real(mean);
        var vl = Real(logVar);
        var ve = Real(epsilon);
        var vz = Real(z);
        SameLength(mean, z);
        SameLength(logVar, z);
        SameLength(epsilon, z);
        if (vz.IsEmpty) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(vz.Length).View(vm).View(vl).View(ve).View(vz);
        Launch(PortableKernels.VaeReparameterizeForward, a, LaunchShape.Elementwise(vz.Length));
    }

    public void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale,
        BufferView loss, bool accumulateLoss, VaeGradients? gradients)
    {
        var vm = Real(mean);
        var vl = Real(logVar);
        var vLoss = Real(loss);
        SameLength(mean, logVar);
        if (loss.Length < 1) throw new ArgumentException("VaeReparameterizeBackward needs a one-element loss view");
        KernelView eps = new(Dummy, 0, 0), dz = eps, dMean = eps, dLogVar = eps;
        if (gradients is { } g)
        {
            SameLength(mean, epsilon);
            SameLength(mean, g.Dz);
            SameLength(mean, g.DMean);
            SameLength(mean, g.DLogVar);
            eps = Real(epsilon);
            dz = View(g.Dz, ElementType.Real, "dz");
            dMean = View(g.DMean, ElementType.Real, "dMean");
            dLogVar = View(g.DLogVar, ElementType.Real, "dLogVar");
        }
        int n = vm.Length, groups = ReduceGroupCount(n);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(n).View(vm).View(vl).View(eps).View(dz)
            .Float(klScale).View(dMean).View(dLogVar).Flag(gradients.HasValue).Ptr(Partials);
        Launch(PortableKernels.VaeReparameterizeBackwardPartials, a, LaunchShape.Groups(groups));
        SumFinal(groups, klScale, vLoss, accumulateLoss);
    }

    // ---- reductions ---------------------------------------------------------------------------

    public void Sum(BufferView x, BufferView result, bool accumulate)
    {
        var vx = Real(x);
        var vr = Real(result);
        if (result.Length < 1) throw new ArgumentException("Sum needs a one-element result view");
        int groups = ReduceGroupCount(vx.Length);
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).View(vx).Int(vx.Length).Ptr(Partials);
        Launch(PortableKernels.SumPartials, a, LaunchShape.Groups(groups));
        SumFinal(groups, 1f, vr, accumulate);
    }

    public void RowSums(int rows, int cols, BufferView x, BufferView result) => RowSumsCore(rows, cols, x, result, false);

    private void RowSumsCore(int rows, int cols, BufferView x, BufferView result, bool accumulate)
    {
        var vx = Real(x);
        var vr = Real(result);
        Need(x, (long)rows * cols, "row sums x");
        Need(result, rows, "row sums result");
        if (rows == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(rows).Int(cols).View(vx).View(vr).Flag(accumulate);
        Launch(PortableKernels.RowSums, a, LaunchShape.Groups(rows));
    }

    private void ColumnSums(int rows, int cols, BufferView x, BufferView result, bool accumulate)
    {
        var vx = Real(x);
        var vr = Real(result);
        Need(x, (long)rows * cols, "column sums x");
        Need(result, cols, "column sums result");
        if (cols == 0) return;
        var a = new KernelArgs(stackalloc byte[KernelArgs.BufferBytes]).Int(rows).Int(cols).View(vx).View(vr).Flag(accumulate);
        Launch(PortableKernels.ColumnSums, a, LaunchShape.Elementwise(cols));
    }

    // ---- checks ---------------------------------------------------------------------------------

    /// <summary>Checks that <paramref name="view"/> is a live buffer of this backend holding <paramref name="expected"/>
    /// elements, and resolves it for a kernel.</summary>
    protected KernelView View(BufferView view, ElementType expected, [CallerArgumentExpression(nameof(view))] string name = "")
    {
        if (view.Buffer is not GpuBuffer buffer || !ReferenceEquals(buffer.Owner, this))
            throw new ArgumentException($"{name} is not a buffer of this {_api} backend");
        if (buffer.IsDisposed) throw new ObjectDisposedException(name, $"{name} was disposed");
        if (buffer.ElementType != expected)
            throw new ArgumentException($"{name} holds {buffer.ElementType}, expected {expected}");
        return new KernelView(buffer.Handle, (int)view.Offset, (int)view.Length);
    }

    private KernelView Real(BufferView view, [CallerArgumentExpression(nameof(view))] string name = "") => View(view, ElementType.Real, name);

    /// <summary>An optional real view of at least <paramref name="elements"/>, or the dummy buffer.</summary>
    private KernelView Optional(BufferView? view, long elements, string what)
    {
        if (view is not { } v) return new KernelView(Dummy, 0, 0);
        var resolved = View(v, ElementType.Real, what);
        Need(v, elements, what);
        return resolved;
    }

    private static void SameLength(BufferView a, BufferView b,
        [CallerArgumentExpression(nameof(a))] string an = "", [CallerArgumentExpression(nameof(b))] string bn = "")
    {
        if (a.Length != b.Length) throw new ArgumentException($"{an} has {a.Length} elements but {bn} has {b.Length}");
    }

    private static void Need(BufferView view, long elements, string what)
    {
        if (view.Length < elements) throw new ArgumentException($"{what}: needs {elements} elements, view has {view.Length}");
    }

    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed) return;
        ReleaseDevice();
        _disposed = true;
        GC.SuppressFinalize(this);
    }
}

using System.Numerics;
using GpuAe.Backends.Cpu.Kernels;

namespace GpuAe.Backends.Cpu;

/// <summary>The float32 CPU backend: the reference every GPU kernel is checked against and the
/// baseline GPUs are benchmarked against.</summary>
public sealed class CpuBackend : CpuBackend<float>
{
    /// <param name="gemm">"avx512", "openblas", "managed" or null (the fastest that runs here; env GPUAE_CPU_GEMM).</param>
    /// <param name="convolution">"direct", "im2col", "auto" or null (env GPUAE_CPU_CONV, else auto).</param>
    public CpuBackend(string? gemm = null, string? convolution = null) : base(gemm, convolution) { }
}

/// <summary>
/// The CPU reference backend, generic over its real type so the same kernels run in float64 for
/// gradient checks (<c>CpuBackend&lt;double&gt;</c>). Kernels run synchronously on the calling thread
/// (fanned out to the thread pool where the work is large); every reduction has a fixed order.
/// </summary>
public class CpuBackend<T> : IBackend where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ICpuGemm _gemm;
    private readonly ConvolutionPath _convolution;

    /// <param name="gemm">"avx512", "openblas", "managed" or null (the fastest that runs here; env GPUAE_CPU_GEMM).</param>
    /// <param name="convolution">"direct", "im2col", "auto" or null (env GPUAE_CPU_CONV, else auto): the path
    /// <see cref="PrefersDirectConvolution"/> answers for, forced for tests and benchmarks or by the measured rule.</param>
    public CpuBackend(string? gemm = null, string? convolution = null)
    {
        _gemm = CpuGemm.Select(gemm);
        _convolution = DirectConvPolicy.Select(convolution);
    }

    public string Name => "cpu";
    public string DeviceName => $"{CpuInfo.ModelName}, {Environment.ProcessorCount} threads, {(typeof(T) == typeof(float) ? "float32" : "float64")}; GEMM: {_gemm.Name}";
    public string GemmName => _gemm.Name;

    /// <summary>The <c>gemm</c> argument that selects this GEMM again ("avx512", "openblas", "managed").</summary>
    public string GemmChoice => _gemm.Choice;
    public unsafe int RealSize => sizeof(T);

    public DeviceBuffer Allocate(long length, ElementType type = ElementType.Real) => new CpuBuffer<T>(this, length, type);

    public void Upload(BufferView destination, ReadOnlySpan<float> source) => Convert(source, Reals(destination, source.Length).Span);
    public void Upload(BufferView destination, ReadOnlySpan<double> source) => Convert(source, Reals(destination, source.Length).Span);
    public void Upload(BufferView destination, ReadOnlySpan<int> source) => source.CopyTo(Integers(destination, source.Length).Span);
    public void Download(BufferView source, Span<float> destination) => Convert<T, float>(Reals(source, destination.Length).Span, destination);
    public void Download(BufferView source, Span<double> destination) => Convert<T, double>(Reals(source, destination.Length).Span, destination);
    public void Download(BufferView source, Span<int> destination) => Integers(source, destination.Length).Span.CopyTo(destination);
    public void Synchronize() { }

    public void Fill(BufferView x, float value) => Reals(x).Span.Fill(T.CreateTruncating(value));
    public void Copy(BufferView source, BufferView destination) => Reals(source, destination.Length).Span.CopyTo(Reals(destination).Span);
    public void Axpy(float alpha, BufferView x, BufferView y) => ElementwiseKernels.Axpy(T.CreateTruncating(alpha), Reals(x, y.Length), Reals(y));
    public void Scale(BufferView x, float alpha) => ElementwiseKernels.Scale(Reals(x), T.CreateTruncating(alpha));

    public void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max)
    {
        ClampRange.Check(nameof(AddClampedNoise), min, max);
        ElementwiseKernels.AddClampedNoise(Reals(clean, noise.Length), T.CreateTruncating(factor), Reals(noise),
            T.CreateTruncating(min), T.CreateTruncating(max));
    }

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, BufferView a, int lda,
        BufferView b, int ldb, float beta, BufferView c, int ldc,
        BiasMode biasMode = BiasMode.None, BufferView? bias = null, Activation activation = Activation.Linear)
    {
        GemmShapes.Check(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc, biasMode, bias?.Length);
        HostView<T> av = Reals(a), bv = Reals(b), cv = Reals(c);
        if (m == 0 || n == 0) return;
        Action<int, int>? epilogue = null;
        if (biasMode != BiasMode.None || activation != Activation.Linear)
        {
            var biasView = biasMode == BiasMode.None ? default : Reals(bias!.Value);
            epilogue = (firstRow, endRow) => ActivationKernels.BiasActivationEpilogue(firstRow, endRow, n, cv, ldc, biasMode, biasView, activation);
        }
        _gemm.Multiply(transA == Transpose.Yes, transB == Transpose.Yes, m, n, k,
            T.CreateTruncating(alpha), av.Data, av.Offset, lda, bv.Data, bv.Offset, ldb,
            T.CreateTruncating(beta), cv.Data, cv.Offset, ldc, epilogue);
    }

    public void GemmActivationGradient(Transpose transA, Transpose transB, int m, int n, int k, Activation activation,
        BufferView y, BufferView dy, int lda, BufferView b, int ldb, BufferView c, int ldc, BufferView? rowSums = null)
    {
        GemmShapes.Check(transA, transB, m, n, k, dy.Length, lda, b.Length, ldb, c.Length, ldc, BiasMode.None, null);
        GemmShapes.CheckActivationGradient(transA, m, n, k, activation, y.Length, dy.Length, lda, rowSums?.Length);
        // The AVX-512 GEMM forms dz (and db) on its packed panels, one pass over dy and y less; the bits are the unfused
        // sequence's. A linear layer without db is a plain GEMM either way.
        if (typeof(T) == typeof(float) && (activation != Activation.Linear || rowSums is not null) && m > 0 && n > 0)
        {
            HostView<T>? yv = activation == Activation.Linear ? null : Reals(y, dy.Length);
            HostView<T> dyf = Reals(dy), bf = Reals(b), cf = Reals(c);
            HostView<T>? sums = rowSums is { } sumsView ? Reals(sumsView, m) : null;
            if (_gemm.TryMultiplyActivationGradient(transA == Transpose.Yes, transB == Transpose.Yes, m, n, k, activation,
                    (float[]?)(object?)yv?.Data, yv?.Offset ?? 0, (float[])(object)dyf.Data, dyf.Offset, lda,
                    (float[])(object)bf.Data, bf.Offset, ldb, (float[])(object)cf.Data, cf.Offset, ldc,
                    (float[]?)(object?)sums?.Data, sums?.Offset ?? 0))
                return;
        }
        // The unfused sequence (the layer's launches before the fusion, so the same bits): dz into scratch, then the GEMM.
        var dyv = Reals(dy);
        var dz = activation == Activation.Linear ? dyv : new HostView<T>(Scratch(dy.Length), 0, (int)dy.Length);
        FusedKernels.ActivationGradientOperand(activation, transA == Transpose.Yes, m, k,
            activation == Activation.Linear ? default : Reals(y, dy.Length), dyv, dz, rowSums is { } s ? Reals(s, m) : null);
        HostView<T> bv = Reals(b), cv = Reals(c);
        if (m == 0 || n == 0) return;
        _gemm.Multiply(transA == Transpose.Yes, transB == Transpose.Yes, m, n, k,
            T.One, dz.Data, dz.Offset, lda, bv.Data, bv.Offset, ldb, T.Zero, cv.Data, cv.Offset, ldc);
    }

    public void GemmGatherRows(Transpose transB, int m, int n, int k, BufferView source, BufferView indices, BufferView gathered,
        BufferView b, int ldb, BufferView c, int ldc, BiasMode biasMode = BiasMode.None, BufferView? bias = null,
        Activation activation = Activation.Linear)
    {
        if (indices.Length < m) throw new ArgumentException($"GemmGatherRows indices: needs {m} entries, view has {indices.Length}");
        if (k > 0 && source.Length % k != 0) throw new ArgumentException($"GemmGatherRows source: {source.Length} elements are not rows of {k}");
        var rows = gathered.Slice(0, Math.Min(gathered.Length, (long)m * k));
        GemmShapes.Check(Transpose.No, transB, m, n, k, gathered.Length, k, b.Length, ldb, c.Length, ldc, biasMode, bias?.Length);
        // the unfused sequence: gather, then the forward GEMM on the gathered rows
        GatherRows(source, k, indices.Slice(0, m), rows);
        Gemm(Transpose.No, transB, m, n, k, 1f, rows, k, b, ldb, 0f, c, ldc, biasMode, bias, activation);
    }

    /// <summary>A scratch array of at least <paramref name="length"/> elements for the dz the fused gradient GEMM
    /// forms (grown, never shrunk: the kernels run synchronously, one at a time).</summary>
    private T[] Scratch(long length)
    {
        if (_scratch.Length < length) _scratch = new T[length];
        return _scratch;
    }

    private T[] _scratch = [];

    public void BiasGradient(BiasMode mode, int rows, int cols, BufferView dy, BufferView dbias, bool accumulate) =>
        ReduceKernels.BiasGradient(mode, rows, cols, Reals(dy, (long)rows * cols), Reals(dbias, mode == BiasMode.PerRow ? rows : cols), accumulate);

    public void ActivationBackwardBias(Activation activation, int rows, int cols, BufferView y, BufferView dy, BufferView dz, BufferView dbias)
    {
        long n = (long)rows * cols;
        FusedKernels.ActivationBackwardBias(activation, rows, cols, Reals(y, n), Reals(dy, n), Reals(dz, n), Reals(dbias, cols));
    }

    public void ActivationForward(Activation activation, in ActivationParameters parameters, BufferView x, BufferView y)
    {
        parameters.Check(nameof(ActivationForward));
        ActivationKernels.Forward(activation, parameters, Reals(x, y.Length), Reals(y));
    }

    public void ActivationBackward(Activation activation, in ActivationParameters parameters, BufferView y, BufferView dy, BufferView dx)
    {
        parameters.Check(nameof(ActivationBackward));
        ActivationKernels.Backward(activation, parameters, Reals(y, dx.Length), Reals(dy, dx.Length), Reals(dx));
    }

    public void ChannelBiasActivation(Activation activation, int batch, int channels, int plane, BufferView x, BufferView bias, BufferView y) =>
        ActivationKernels.ChannelBiasForward(activation, batch, channels, plane, Reals(x, PlaneSize(batch * channels, plane, 1)),
            Reals(bias, channels), Reals(y, PlaneSize(batch * channels, plane, 1)));

    public void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns) =>
        ConvKernels.Im2Col(g, batch, Reals(x, (long)batch * g.Channels * g.Height * g.Width),
            Reals(columns, (long)g.PatchSize * batch * g.OutHeight * g.OutWidth));

    public void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx) =>
        ConvKernels.Col2Im(g, batch, Reals(columns, (long)g.PatchSize * batch * g.OutHeight * g.OutWidth),
            Reals(dx, (long)batch * g.Channels * g.Height * g.Width));

    public void SwapLeadingAxes(int a, int b, int inner, BufferView source, BufferView destination) =>
        ConvKernels.SwapLeadingAxes(a, b, inner, Reals(source, (long)a * b * inner), Reals(destination, (long)a * b * inner));

    // ---- direct convolution (DirectConvKernels; DirectConvPolicy picks it or im2col + GEMM per shape) ----------------

    public bool PrefersDirectConvolution(ConvGeometry g, int filters) => DirectConvPolicy.PrefersDirect(_convolution, g, filters);

    public void ConvForward(ConvGeometry g, int batch, int filters, BufferView x, BufferView w, BufferView bias, Activation activation, BufferView y)
    {
        CheckDirect(nameof(ConvForward), g, batch, filters);
        DirectConvKernels.Forward(g, batch, filters, Reals(x, InputSize(g, batch)), Reals(w, (long)filters * g.PatchSize), Reals(bias, filters),
            activation, Reals(y, OutputSize(g, batch, filters)));
    }

    public void ConvBackwardData(ConvGeometry g, int batch, int filters, Activation activation, BufferView y, BufferView dy, BufferView w, BufferView dx)
    {
        CheckDirect(nameof(ConvBackwardData), g, batch, filters);
        long outputs = OutputSize(g, batch, filters);
        DirectConvKernels.BackwardData(g, batch, filters, activation, Reals(y, outputs), Reals(dy, outputs), Reals(w, (long)filters * g.PatchSize),
            Reals(dx, InputSize(g, batch)));
    }

    public void ConvBackwardFilter(ConvGeometry g, int batch, int filters, Activation activation, BufferView x, BufferView y, BufferView dy, BufferView dw, BufferView db)
    {
        CheckDirect(nameof(ConvBackwardFilter), g, batch, filters);
        long outputs = OutputSize(g, batch, filters);
        DirectConvKernels.BackwardFilter(g, batch, filters, activation, Reals(x, InputSize(g, batch)), Reals(y, outputs), Reals(dy, outputs),
            Reals(dw, (long)filters * g.PatchSize), Reals(db, filters));
    }

    private static long InputSize(ConvGeometry g, int batch) => (long)batch * g.Channels * g.Height * g.Width;
    private static long OutputSize(ConvGeometry g, int batch, int filters) => (long)batch * filters * g.OutHeight * g.OutWidth;

    private static void CheckDirect(string kernel, ConvGeometry g, int batch, int filters)
    {
        // Negative padding crops the input (as in im2col); the kernels handle any padding.
        if (batch < 0 || filters < 1 || g.Channels < 1 || g.KernelH < 1 || g.KernelW < 1 || g.StrideH < 1 || g.StrideW < 1
            || g.DilationH < 1 || g.DilationW < 1 || g.OutHeight < 1 || g.OutWidth < 1)
            throw new ArgumentException($"cpu {kernel}: {g} with batch {batch} and {filters} filters has no valid output " +
                "(expected batch >= 0, filters, channels, kernel, strides and dilations >= 1, an output of at least 1x1)");
    }

    public void MaxPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y, BufferView argmax) =>
        PoolKernels.MaxForward(g, planes, Reals(x, PlaneSize(planes, g.Height, g.Width)),
            Reals(y, PlaneSize(planes, g.OutHeight, g.OutWidth)), Integers(argmax, PlaneSize(planes, g.OutHeight, g.OutWidth)));

    public void MaxPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView argmax, BufferView dx) =>
        PoolKernels.MaxBackward(g, planes, Reals(dy, PlaneSize(planes, g.OutHeight, g.OutWidth)),
            Integers(argmax, PlaneSize(planes, g.OutHeight, g.OutWidth)), Reals(dx, PlaneSize(planes, g.Height, g.Width)));

    public void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y) =>
        PoolKernels.AvgForward(g, planes, Reals(x, PlaneSize(planes, g.Height, g.Width)), Reals(y, PlaneSize(planes, g.OutHeight, g.OutWidth)));

    public void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx) =>
        PoolKernels.AvgBackward(g, planes, Reals(dy, PlaneSize(planes, g.OutHeight, g.OutWidth)), Reals(dx, PlaneSize(planes, g.Height, g.Width)));

    public void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y) =>
        UpsampleKernels.NearestForward(planes, height, width, scaleH, scaleW, Reals(x, PlaneSize(planes, height, width)),
            Reals(y, PlaneSize(planes, height * scaleH, width * scaleW)));

    public void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx) =>
        UpsampleKernels.NearestBackward(planes, height, width, scaleH, scaleW, Reals(dy, PlaneSize(planes, height * scaleH, width * scaleW)),
            Reals(dx, PlaneSize(planes, height, width)));

    public void UpsampleBilinearForward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView x, BufferView y) =>
        UpsampleKernels.BilinearForward(planes, height, width, outHeight, outWidth, alignCorners, Reals(x, PlaneSize(planes, height, width)),
            Reals(y, PlaneSize(planes, outHeight, outWidth)));

    public void UpsampleBilinearBackward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView dy, BufferView dx) =>
        UpsampleKernels.BilinearBackward(planes, height, width, outHeight, outWidth, alignCorners, Reals(dy, PlaneSize(planes, outHeight, outWidth)),
            Reals(dx, PlaneSize(planes, height, width)));

    public void Loss(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView loss, bool accumulateLoss, BufferView? gradient) =>
        LossKernels.Run(kind, Reals(prediction), Reals(target, prediction.Length), T.CreateTruncating(scale), Reals(loss, 1), accumulateLoss,
            gradient is { } g ? Reals(g, prediction.Length) : default);

    public void LossLanes(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView lanes, BufferView? gradient) =>
        FusedKernels.LossLanes(kind, Reals(prediction), Reals(target, prediction.Length), T.CreateTruncating(scale), Reals(lanes, 1),
            gradient is { } g ? Reals(g, prediction.Length) : default);

    public void ActivityPenalty(ActivityPenaltyKind kind, int batch, int units, BufferView h, float strength, float rho,
        BufferView loss, BufferView? dh)
    {
        PenaltyShapes.CheckActivity(kind, batch, units, strength, rho);
        long n = (long)batch * units;
        PenaltyKernels.Activity(kind, batch, units, Reals(h, n), strength, rho, Reals(loss, 1), dh is { } d ? Reals(d, n) : default);
    }

    public void ContractivePenalty(Activation activation, int batch, int units, int inputs, BufferView h, BufferView weight,
        float strength, BufferView? loss, BufferView? dh, BufferView? dWeight)
    {
        PenaltyShapes.CheckContractive(activation, batch, units, inputs, strength);
        long n = (long)batch * units, w = (long)units * inputs;
        PenaltyKernels.Contractive(activation, batch, units, inputs, Reals(h, n), Reals(weight, w), strength,
            loss is { } l ? Reals(l, 1) : default, dh is { } d ? Reals(d, n) : default, dWeight is { } dw ? Reals(dw, w) : default);
    }

    public void OptimizerUpdate(in OptimizerStep step, BufferView parameters, BufferView gradients, BufferView state1, BufferView state2,
        BufferView state3 = default) =>
        OptimizerKernels.Update(step, Reals(parameters), Reals(gradients, parameters.Length),
            step.UsesState1 ? Reals(state1, parameters.Length) : default,
            step.UsesState2 ? Reals(state2, parameters.Length) : default,
            step.UsesState3 ? Reals(state3, parameters.Length) : default);

    public void GatherRows(BufferView source, int rowLength, BufferView indices, BufferView destination) =>
        GatherKernels.Rows(Reals(source), rowLength, Integers(indices, destination.Length / Math.Max(1, rowLength)), Reals(destination));

    public void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination) =>
        RandomKernels.Fill(distribution, seed, offset, Reals(destination));

    public void VaeReparameterizeForward(BufferView mean, BufferView logVar, BufferView epsilon, BufferView z) =>
        VaeKernels.ReparameterizeForward(Reals(mean, z.Length), Reals(logVar, z.Length), Reals(epsilon, z.Length), Reals(z));

    public void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale,
        BufferView loss, bool accumulateLoss, VaeGradients? gradients)
    {
        long n = mean.Length;
        var (eps, dz, dMean, dLogVar) = gradients is { } g
            ? (Reals(epsilon, n), Reals(g.Dz, n), Reals(g.DMean, n), Reals(g.DLogVar, n))
            : default;
        VaeKernels.ReparameterizeBackward(Reals(mean), Reals(logVar, n), eps, T.CreateTruncating(klScale),
            Reals(loss, 1), accumulateLoss, dz, dMean, dLogVar);
    }

    public void Sum(BufferView x, BufferView result, bool accumulate) => ReduceKernels.Sum(Reals(x), Reals(result, 1), accumulate);

    public void RowSums(int rows, int cols, BufferView x, BufferView result) =>
        ReduceKernels.BiasGradient(BiasMode.PerRow, rows, cols, Reals(x, (long)rows * cols), Reals(result, rows), accumulate: false);

    public void Dispose() => GC.SuppressFinalize(this);

    // ---- view resolution ------------------------------------------------------------------------

    private static long PlaneSize(int planes, int height, int width) => (long)planes * height * width;

    private CpuBuffer<T> Own(BufferView view, ElementType type)
    {
        if (view.Buffer is not CpuBuffer<T> buffer || !ReferenceEquals(buffer.Owner, this))
            throw new ArgumentException($"cpu: a buffer from another backend ({view.Buffer?.GetType().Name ?? "null"}) was passed to the CPU backend");
        if (buffer.IsDisposed) throw new ObjectDisposedException("cpu buffer");
        if (buffer.ElementType != type)
            throw new ArgumentException($"cpu: expected a {type} buffer, got {buffer.ElementType}");
        return buffer;
    }

    /// <summary>The view as reals; with <paramref name="required"/>, checks the view holds at least that many.</summary>
    internal HostView<T> Reals(BufferView view, long required = -1)
    {
        var buffer = Own(view, ElementType.Real);
        CheckLength(view, required);
        return new HostView<T>(buffer.Reals, (int)view.Offset, (int)(required >= 0 ? required : view.Length));
    }

    internal HostView<int> Integers(BufferView view, long required = -1)
    {
        var buffer = Own(view, ElementType.Int32);
        CheckLength(view, required);
        return new HostView<int>(buffer.Integers, (int)view.Offset, (int)(required >= 0 ? required : view.Length));
    }

    private static void CheckLength(BufferView view, long required)
    {
        if (required > view.Length)
            throw new ArgumentException($"cpu: kernel needs {required} elements but the view {view} holds {view.Length}");
    }

    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        if (typeof(TFrom) == typeof(TTo)) { System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(source).CopyTo(destination); return; }
        for (int i = 0; i < source.Length; i++) destination[i] = TTo.CreateTruncating(source[i]);
    }
}

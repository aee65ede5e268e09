using GpuAe.Backends;

namespace GpuAe.Tests.Graph;

/// <summary>
/// A backend with a side stream that runs as late as the rules allow: launches between ForkToSide and
/// BackToMain are queued and run only at the next JoinSide (or Synchronize), after every main launch in between.
/// Real streams may interleave anywhere up to there; this extreme turns a missing join or an early buffer reuse
/// into wrong numbers on the CPU reference. Downloads do not flush: a read the executor did not join sees stale data.
/// </summary>
internal sealed class DeferredSideBackend(IBackend backend) : IBackend, IStreamFork
{
    private readonly IBackend _inner = backend;
    private readonly List<Action> _queued = [];
    private int _recorded;   // queued launches up to the last BackToMain: what JoinSide waits for
    private bool _onSide;

    public int Forks { get; private set; }
    public int Joins { get; private set; }
    public int DeferredLaunches { get; private set; }

    public void ForkToSide()
    {
        if (_onSide) throw new InvalidOperationException("ForkToSide on the side stream");
        _onSide = true;
        Forks++;
    }

    public void BackToMain()
    {
        if (!_onSide) throw new InvalidOperationException("BackToMain on the main stream");
        _onSide = false;
        _recorded = _queued.Count;
    }

    public void JoinSide()
    {
        if (_onSide) throw new InvalidOperationException("JoinSide on the side stream");
        RunQueued(_recorded);
        Joins++;
    }

    private void RunQueued(int count)
    {
        for (int i = 0; i < count; i++) _queued[i]();
        _queued.RemoveRange(0, count);
        _recorded -= count;
    }

    private void Launch(Action launch)
    {
        if (!_onSide) { launch(); return; }
        _queued.Add(launch);
        DeferredLaunches++;
    }

    public string Name => _inner.Name;
    public string DeviceName => _inner.DeviceName + " (side stream deferred to its join)";
    public int RealSize => _inner.RealSize;
    public DeviceBuffer Allocate(long length, ElementType type = ElementType.Real) => _inner.Allocate(length, type);
    public void Upload(BufferView destination, ReadOnlySpan<float> source) => _inner.Upload(destination, source);
    public void Upload(BufferView destination, ReadOnlySpan<double> source) => _inner.Upload(destination, source);
    public void Upload(BufferView destination, ReadOnlySpan<int> source) => _inner.Upload(destination, source);
    public void Download(BufferView source, Span<float> destination) => _inner.Download(source, destination);
    public void Download(BufferView source, Span<double> destination) => _inner.Download(source, destination);
    public void Download(BufferView source, Span<int> destination) => _inner.Download(source, destination);

    public void Synchronize()
    {
        RunQueued(_queued.Count);
        _inner.Synchronize();
    }

    public void Fill(BufferView x, float value) => Launch(() => _inner.Fill(x, value));
    public void Copy(BufferView source, BufferView destination) => Launch(() => _inner.Copy(source, destination));
    public void Axpy(float alpha, BufferView x, BufferView y) => Launch(() => _inner.Axpy(alpha, x, y));
    public void Scale(BufferView x, float alpha) => Launch(() => _inner.Scale(x, alpha));

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, BufferView a, int lda,
        BufferView b, int ldb, float beta, BufferView c, int ldc,
        BiasMode biasMode = BiasMode.None, BufferView? bias = null, Activation activation = Activation.Linear) =>
        Launch(() => _inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, biasMode, bias, activation));

    public void BiasGradient(BiasMode mode, int rows, int cols, BufferView dy, BufferView dbias, bool accumulate) =>
        Launch(() => _inner.BiasGradient(mode, rows, cols, dy, dbias, accumulate));
    public void GemmActivationGradient(Transpose transA, Transpose transB, int m, int n, int k, Activation activation,
        BufferView y, BufferView dy, int lda, BufferView b, int ldb, BufferView c, int ldc, BufferView? rowSums = null) =>
        Launch(() => _inner.GemmActivationGradient(transA, transB, m, n, k, activation, y, dy, lda, b, ldb, c, ldc, rowSums));
    public void GemmGatherRows(Transpose transB, int m, int n, int k, BufferView source, BufferView indices, BufferView gathered,
        BufferView b, int ldb, BufferView c, int ldc, BiasMode biasMode = BiasMode.None, BufferView? bias = null,
        Activation activation = Activation.Linear) =>
        Launch(() => _inner.GemmGatherRows(transB, m, n, k, source, indices, gathered, b, ldb, c, ldc, biasMode, bias, activation));
    public void ActivationBackwardBias(Activation activation, int rows, int cols, BufferView y, BufferView dy, BufferView dz, BufferView dbias) =>
        Launch(() => _inner.ActivationBackwardBias(activation, rows, cols, y, dy, dz, dbias));
    public void LossLanes(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView lanes, BufferView? gradient) =>
        Launch(() => _inner.LossLanes(kind, prediction, target, scale, lanes, gradient));
    public void ActivationForward(Activation activation, in ActivationParameters parameters, BufferView x, BufferView y)
    {
        var p = parameters;
        Launch(() => _inner.ActivationForward(activation, p, x, y));
    }
    public void ActivationBackward(Activation activation, in ActivationParameters parameters, BufferView y, BufferView dy, BufferView dx)
    {
        var p = parameters;
        Launch(() => _inner.ActivationBackward(activation, p, y, dy, dx));
    }
    public void ChannelBiasActivation(Activation activation, int batch, int channels, int plane, BufferView x, BufferView bias, BufferView y) =>
        Launch(() => _inner.ChannelBiasActivation(activation, batch, channels, plane, x, bias, y));
    public void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns) => Launch(() => _inner.Im2Col(g, batch, x, columns));
    public void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx) => Launch(() => _inner.Col2Im(g, batch, columns, dx));
    public void SwapLeadingAxes(int a, int b, int inner, BufferView source, BufferView destination) =>
        Launch(() => _inner.SwapLeadingAxes(a, b, inner, source, destination));
    public bool PrefersDirectConvolution(ConvGeometry g, int filters) => _inner.PrefersDirectConvolution(g, filters);
    public void ConvForward(ConvGeometry g, int batch, int filters, BufferView x, BufferView w, BufferView bias, Activation activation, BufferView y) =>
        Launch(() => _inner.ConvForward(g, batch, filters, x, w, bias, activation, y));
    public void ConvBackwardData(ConvGeometry g, int batch, int filters, Activation activation, BufferView y, BufferView dy, BufferView w, BufferView dx) =>
        Launch(() => _inner.ConvBackwardData(g, batch, filters, activation, y, dy, w, dx));
    public void ConvBackwardFilter(ConvGeometry g, int batch, int filters, Activation activation, BufferView x, BufferView y, BufferView dy, BufferView dw, BufferView db) =>
        Launch(() => _inner.ConvBackwardFilter(g, batch, filters, activation, x, y, dy, dw, db));
    public void MaxPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y, BufferView argmax) =>
        Launch(() => _inner.MaxPoolForward(g, planes, x, y, argmax));
    public void MaxPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView argmax, BufferView dx) =>
        Launch(() => _inner.MaxPoolBackward(g, planes, dy, argmax, dx));
    public void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y) => Launch(() => _inner.AvgPoolForward(g, planes, x, y));
    public void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx) => Launch(() => _inner.AvgPoolBackward(g, planes, dy, dx));
    public void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y) =>
        Launch(() => _inner.UpsampleNearestForward(planes, height, width, scaleH, scaleW, x, y));
    public void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx) =>
        Launch(() => _inner.UpsampleNearestBackward(planes, height, width, scaleH, scaleW, dy, dx));
    public void UpsampleBilinearForward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView x, BufferView y) =>
        Launch(() => _inner.UpsampleBilinearForward(planes, height, width, outHeight, outWidth, alignCorners, x, y));
    public void UpsampleBilinearBackward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView dy, BufferView dx) =>
        Launch(() => _inner.UpsampleBilinearBackward(planes, height, width, outHeight, outWidth, alignCorners, dy, dx));
    public void Loss(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView loss, bool accumulateLoss, BufferView? gradient) =>
        Launch(() => _inner.Loss(kind, prediction, target, scale, loss, accumulateLoss, gradient));

    public void OptimizerUpdate(in OptimizerStep step, BufferView parameters, BufferView gradients, BufferView state1, BufferView state2, BufferView state3 = default)
    {
        var s = step;
        Launch(() => _inner.OptimizerUpdate(s, parameters, gradients, state1, state2, state3));
    }

    public void GatherRows(BufferView source, int rowLength, BufferView indices, BufferView destination) =>
        Launch(() => _inner.GatherRows(source, rowLength, indices, destination));
    public void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination) =>
        Launch(() => _inner.Random(distribution, seed, offset, destination));
    public void RandomForStep(RandomDistribution distribution, ulong seed, int step, BufferView destination) =>
        Launch(() => _inner.RandomForStep(distribution, seed, step, destination));
    public void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max) =>
        Launch(() => _inner.AddClampedNoise(clean, factor, noise, min, max));
    public void ActivityPenalty(ActivityPenaltyKind kind, int batch, int units, BufferView h, float strength, float rho, BufferView loss, BufferView? dh) =>
        Launch(() => _inner.ActivityPenalty(kind, batch, units, h, strength, rho, loss, dh));
    public void ContractivePenalty(Activation activation, int batch, int units, int inputs, BufferView h, BufferView weight, float strength,
        BufferView? loss, BufferView? dh, BufferView? dWeight) =>
        Launch(() => _inner.ContractivePenalty(activation, batch, units, inputs, h, weight, strength, loss, dh, dWeight));
    public void VaeReparameterizeForward(BufferView mean, BufferView logVar, BufferView epsilon, BufferView z) =>
        Launch(() => _inner.VaeReparameterizeForward(mean, logVar, epsilon, z));
    public void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale, BufferView loss, bool accumulateLoss,
        VaeGradients? gradients) =>
        Launch(() => _inner.VaeReparameterizeBackward(mean, logVar, epsilon, klScale, loss, accumulateLoss, gradients));
    public void Sum(BufferView x, BufferView result, bool accumulate) => Launch(() => _inner.Sum(x, result, accumulate));
    public void RowSums(int rows, int cols, BufferView x, BufferView result) => Launch(() => _inner.RowSums(rows, cols, x, result));

    public void Dispose() => _inner.Dispose();
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Conformance;

namespace GpuAe.Tests.Conformance;

public sealed class ConformanceSuiteTests
{
    [Fact]
    public void Cpu_float32_conforms_to_cpu_float64()
    {
        using var reference = new CpuBackend<double>();
        using var subject = new CpuBackend();
        var lines = new List<string>();
        var report = ConformanceSuite.Run(reference, subject, lines.Add);
        Assert.Equal(ConformanceSuite.KernelNames.Count, report.Kernels.Count);
        Assert.Equal(report.Kernels.Count, lines.Count);
        Assert.True(report.AllPassed, string.Join("\n", report.Kernels.Where(k => !k.Passed)));
    }

    [Fact]
    public void Covers_every_kernel_of_the_abi()
    {
        var abi = typeof(IBackend).GetMethods()
            .Select(m => m.Name)
            .Where(n => n is not ("Allocate" or "Upload" or "Download" or "Synchronize" or "Dispose") && !n.StartsWith("get_"))
            .Distinct();
        var covered = ConformanceSuite.KernelNames.Select(n => n.Split(" (")[0]).ToHashSet();
        Assert.All(abi, name => Assert.Contains(name, covered));
    }

    [Fact]
    public void A_wrong_kernel_fails_with_its_case_and_element()
    {
        using var reference = new CpuBackend();
        using var subject = new OffByOneScale();
        var report = ConformanceSuite.Run(reference, subject, only: ["Scale", "Fill"]);
        var scale = report.Kernels.Single(k => k.Kernel == "Scale");
        Assert.False(scale.Passed);
        Assert.Contains("x[0]", scale.FirstFailure);
        Assert.True(report.Kernels.Single(k => k.Kernel == "Fill").Passed);
    }

    [Fact]
    public void Tolerance_is_absolute_plus_relative()
    {
        var t = new Tolerance(1e-6, 1e-4);
        Assert.Equal(1e-6 + 1e-4 * 2, t.Allowed(-2), 12);
        Assert.Equal("exact", Tolerance.Exact.ToString());
    }

    /// <summary>The CPU backend with a wrong Scale (0.1% off): the suite must catch it.</summary>
    private sealed class OffByOneScale : IBackend
    {
        private readonly CpuBackend _inner = new();
        public string Name => "broken";
        public string DeviceName => "broken scale";
        public int RealSize => _inner.RealSize;
        public DeviceBuffer Allocate(long length, ElementType type = ElementType.Real) => _inner.Allocate(length, type);
        public void Upload(BufferView destination, ReadOnlySpan<float> source) => _inner.Upload(destination, source);
        public void Upload(BufferView destination, ReadOnlySpan<double> source) => _inner.Upload(destination, source);
        public void Upload(BufferView destination, ReadOnlySpan<int> source) => _inner.Upload(destination, source);
        public void Download(BufferView source, Span<float> destination) => _inner.Download(source, destination);
        public void Download(BufferView source, Span<double> destination) => _inner.Download(source, destination);
        public void Download(BufferView source, Span<int> destination) => _inner.Download(source, destination);
        public void Synchronize() => _inner.Synchronize();
        public void Fill(BufferView x, float value) => _inner.Fill(x, value);
        public void Copy(BufferView source, BufferView destination) => _inner.Copy(source, destination);
        public void Axpy(float alpha, BufferView x, BufferView y) => _inner.Axpy(alpha, x, y);
        public void Scale(BufferView x, float alpha) => _inner.Scale(x, alpha * 1.001f);
        public void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max) => _inner.AddClampedNoise(clean, factor, noise, min, max);
        public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, BufferView a, int lda, BufferView b, int ldb,
            float beta, BufferView c, int ldc, BiasMode biasMode = BiasMode.None, BufferView? bias = null, Activation activation = Activation.Linear)
            => _inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, biasMode, bias, activation);
        public void BiasGradient(BiasMode mode, int rows, int cols, BufferView dy, BufferView dbias, bool accumulate) => _inner.BiasGradient(mode, rows, cols, dy, dbias, accumulate);
        public void GemmActivationGradient(Transpose transA, Transpose transB, int m, int n, int k, Activation activation,
            BufferView y, BufferView dy, int lda, BufferView b, int ldb, BufferView c, int ldc, BufferView? rowSums = null) =>
            _inner.GemmActivationGradient(transA, transB, m, n, k, activation, y, dy, lda, b, ldb, c, ldc, rowSums);
        public void GemmGatherRows(Transpose transB, int m, int n, int k, BufferView source, BufferView indices, BufferView gathered,
            BufferView b, int ldb, BufferView c, int ldc, BiasMode biasMode = BiasMode.None, BufferView? bias = null,
            Activation activation = Activation.Linear) =>
            _inner.GemmGatherRows(transB, m, n, k, source, indices, gathered, b, ldb, c, ldc, biasMode, bias, activation);
        public void ActivationBackwardBias(Activation activation, int rows, int cols, BufferView y, BufferView dy, BufferView dz, BufferView dbias) =>
            _inner.ActivationBackwardBias(activation, rows, cols, y, dy, dz, dbias);
        public void LossLanes(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView lanes, BufferView? gradient) =>
            _inner.LossLanes(kind, prediction, target, scale, lanes, gradient);
        public void ActivationForward(Activation activation, in ActivationParameters parameters, BufferView x, BufferView y) =>
            _inner.ActivationForward(activation, parameters, x, y);
        public void ActivationBackward(Activation activation, in ActivationParameters parameters, BufferView y, BufferView dy, BufferView dx) =>
            _inner.ActivationBackward(activation, parameters, y, dy, dx);
        public void ChannelBiasActivation(Activation activation, int batch, int channels, int plane, BufferView x, BufferView bias, BufferView y) =>
            _inner.ChannelBiasActivation(activation, batch, channels, plane, x, bias, y);
        public void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns) => _inner.Im2Col(g, batch, x, columns);
        public void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx) => _inner.Col2Im(g, batch, columns, dx);
        public void SwapLeadingAxes(int a, int b, int inner, BufferView source, BufferView destination) => _inner.SwapLeadingAxes(a, b, inner, source, destination);
        public bool PrefersDirectConvolution(ConvGeometry g, int filters) => _inner.PrefersDirectConvolution(g, filters);
        public void ConvForward(ConvGeometry g, int batch, int filters, BufferView x, BufferView w, BufferView bias, Activation activation, BufferView y) => _inner.ConvForward(g, batch, filters, x, w, bias, activation, y);
        public void ConvBackwardData(ConvGeometry g, int batch, int filters, Activation activation, BufferView y, BufferView dy, BufferView w, BufferView dx) => _inner.ConvBackwardData(g, batch, filters, activation, y, dy, w, dx);
        public void ConvBackwardFilter(ConvGeometry g, int batch, int filters, Activation activation, BufferView x, BufferView y, BufferView dy, BufferView dw, BufferView db) => _inner.ConvBackwardFilter(g, batch, filters, activation, x, y, dy, dw, db);
        public void MaxPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y, BufferView argmax) => _inner.MaxPoolForward(g, planes, x, y, argmax);
        public void MaxPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView argmax, BufferView dx) => _inner.MaxPoolBackward(g, planes, dy, argmax, dx);
        public void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y) => _inner.AvgPoolForward(g, planes, x, y);
        public void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx) => _inner.AvgPoolBackward(g, planes, dy, dx);
        public void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y) => _inner.UpsampleNearestForward(planes, height, width, scaleH, scaleW, x, y);
        public void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx) => _inner.UpsampleNearestBackward(planes, height, width, scaleH, scaleW, dy, dx);
        public void UpsampleBilinearForward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView x, BufferView y) =>
            _inner.UpsampleBilinearForward(planes, height, width, outHeight, outWidth, alignCorners, x, y);
        public void UpsampleBilinearBackward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView dy, BufferView dx) =>
            _inner.UpsampleBilinearBackward(planes, height, width, outHeight, outWidth, alignCorners, dy, dx);
        public void Loss(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView loss, bool accumulateLoss, BufferView? gradient) => _inner.Loss(kind, prediction, target, scale, loss, accumulateLoss, gradient);
        public void OptimizerUpdate(in OptimizerStep step, BufferView parameters, BufferView gradients, BufferView state1, BufferView state2, BufferView state3 = default) => _inner.OptimizerUpdate(step, parameters, gradients, state1, state2, state3);
        public void GatherRows(BufferView source, int rowLength, BufferView indices, BufferView destination) => _inner.GatherRows(source, rowLength, indices, destination);
        public void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination) => _inner.Random(distribution, seed, offset, destination);
        public void Sum(BufferView x, BufferView result, bool accumulate) => _inner.Sum(x, result, accumulate);
        public void RowSums(int rows, int cols, BufferView x, BufferView result) => _inner.RowSums(rows, cols, x, result);
        public void ActivityPenalty(ActivityPenaltyKind kind, int batch, int units, BufferView h, float strength, float rho, BufferView loss, BufferView? dh) => _inner.ActivityPenalty(kind, batch, units, h, strength, rho, loss, dh);
        public void ContractivePenalty(Activation activation, int batch, int units, int inputs, BufferView h, BufferView weight, float strength, BufferView? loss, BufferView? dh, BufferView? dWeight) => _inner.ContractivePenalty(activation, batch, units, inputs, h, weight, strength, loss, dh, dWeight);
        public void VaeReparameterizeForward(BufferView mean, BufferView logVar, BufferView epsilon, BufferView z) => _inner.VaeReparameterizeForward(mean, logVar, epsilon, z);
        public void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale, BufferView loss, bool accumulateLoss, VaeGradients? gradients)
            => _inner.VaeReparameterizeBackward(mean, logVar, epsilon, klScale, loss, accumulateLoss, gradients);
        public void Dispose() => _inner.Dispose();
    }
}

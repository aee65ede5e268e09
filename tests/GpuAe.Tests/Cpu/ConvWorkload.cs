using GpuAe.Backends;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// One convolution (geometry, batch, filters, activation) on one backend, with random inputs in NaN-bordered views
/// (a kernel that ignores a view's offset, reads past it or leaves part of an output unwritten shows up), run either
/// through the direct entries (ConvForward, ConvBackwardFilter, ConvBackwardData) or through the im2col composition
/// Conv2DLayer uses otherwise: im2col, GEMM with the bias+activation epilogue, swap to NCHW; backward dz =
/// ActivationBackward, swap to CNHW, dW = dz·columnsᵀ, db = row sums, dx = col2im(Wᵀ·dz).
/// </summary>
internal sealed class ConvWorkload
{
    private readonly IBackend _backend;
    private readonly ConvGeometry _g;
    private readonly int _batch, _filters;
    private readonly Activation _activation;
    private readonly BufferView _x, _w, _bias, _dy, _y, _dx, _dw, _db;
    private readonly Lazy<(BufferView Columns, BufferView Cnhw, BufferView Dz, BufferView Dzc, BufferView Dcolumns)> _im2col;

    public ConvWorkload(IBackend backend, ConvGeometry g, int batch, int filters, Activation activation, int seed)
    {
        (_backend, _g, _batch, _filters, _activation) = (backend, g, batch, filters, activation);
        var random = new System.Random(seed);
        long inputs = (long)batch * g.Channels * g.Height * g.Width, outputs = (long)batch * filters * g.OutHeight * g.OutWidth;
        double scale = 1 / Math.Sqrt(g.PatchSize); // sums stay O(1), activations away from saturation
        _x = Input(Kernel.RandomValues(random, inputs));
        _w = Input(Kernel.RandomValues(random, filters * g.PatchSize, -scale, scale));
        _bias = Input(Kernel.RandomValues(random, filters, -0.5, 0.5));
        _dy = Input(Kernel.RandomValues(random, outputs));
        (_y, _dx, _dw, _db) = (Output(outputs), Output(inputs), Output(filters * g.PatchSize), Output(filters));
        long columns = (long)g.PatchSize * batch * g.OutHeight * g.OutWidth;
        _im2col = new(() => (Output(columns), Output(outputs), Output(outputs), Output(outputs), Output(columns)));
    }

    public sealed record Results(double[] Y, double[] Dx, double[] Dw, double[] Db);

    public Results Read() => new(Read(_y), Read(_dx), Read(_dw), Read(_db));

    public void DirectForward() => _backend.ConvForward(_g, _batch, _filters, _x, _w, _bias, _activation, _y);

    /// <summary>dW and db, then dx when <paramref name="data"/> (a network's first layer needs no dx).</summary>
    public void DirectBackward(bool data = true)
    {
        _backend.ConvBackwardFilter(_g, _batch, _filters, _activation, _x, _y, _dy, _dw, _db);
        if (data) _backend.ConvBackwardData(_g, _batch, _filters, _activation, _y, _dy, _w, _dx);
    }

    public void Im2ColForward()
    {
        var (columns, cnhw, _, _, _) = _im2col.Value;
        int patch = _g.PatchSize, pixels = _g.OutHeight * _g.OutWidth, count = _batch * pixels;
        _backend.Im2Col(_g, _batch, _x, columns);
        _backend.Gemm(Transpose.No, Transpose.No, _filters, count, patch, 1f, _w, patch, columns, count, 0f, cnhw, count,
            BiasMode.PerRow, _bias, _activation);
        _backend.SwapLeadingAxes(_filters, _batch, pixels, cnhw, _y);
    }

    /// <summary>The im2col backward (after <see cref="Im2ColForward"/>, whose columns it reads).</summary>
    public void Im2ColBackward(bool data = true)
    {
        var (columns, _, dz, dzc, dcolumns) = _im2col.Value;
        int patch = _g.PatchSize, pixels = _g.OutHeight * _g.OutWidth, count = _batch * pixels;
        _backend.ActivationBackward(_activation, ActivationParameters.Default, _y, _dy, dz);
        _backend.SwapLeadingAxes(_batch, _filters, pixels, dz, dzc);
        _backend.Gemm(Transpose.No, Transpose.Yes, _filters, patch, count, 1f, dzc, count, columns, count, 0f, _dw, patch);
        _backend.BiasGradient(BiasMode.PerRow, _filters, count, dzc, _db, accumulate: false);
        if (!data) return;
        _backend.Gemm(Transpose.Yes, Transpose.No, patch, count, _filters, 1f, _w, patch, dzc, count, 0f, dcolumns, count);
        _backend.Col2Im(_g, _batch, dcolumns, _dx);
    }

    private BufferView Input(double[] values)
    {
        var view = Output(values.Length);
        _backend.Upload(view, values);
        return view;
    }

    private BufferView Output(long length)
    {
        var buffer = _backend.Allocate(length + 5);
        _backend.Fill(buffer.All, float.NaN);
        return buffer.Slice(2, length);
    }

    private double[] Read(BufferView view)
    {
        var values = new double[view.Length];
        _backend.Download(view, values);
        return values;
    }
}

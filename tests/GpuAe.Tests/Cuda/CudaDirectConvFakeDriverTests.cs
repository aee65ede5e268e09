using GpuAe.Backends;
using GpuAe.Backends.Cuda;

namespace GpuAe.Tests.Cuda;

/// <summary>The direct-convolution entries through <see cref="CudaBackend"/> on a fake driver: the packed arguments
/// match the PTX signatures of conv_forward / conv_backward_data / conv_backward_filter (the backend refuses otherwise)
/// and carry the values and grids the portable bodies expect.</summary>
public sealed class CudaDirectConvFakeDriverTests
{
    // 5x3 kernel, stride (2, 1), asymmetric padding, dilation (1, 2): output 3 x 5 from 3 x 7 x 6
    private static readonly ConvGeometry Conv = new(3, 7, 6, 5, 3, StrideH: 2, StrideW: 1, PadTop: 2, PadLeft: 1, PadBottom: 1, PadRight: 2, DilationH: 1, DilationW: 2);
    private const int Batch = 2, Filters = 4;

    private static object[] Geometry(ConvGeometry g) =>
        [Batch, g.Channels, g.Height, g.Width, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.OutHeight, g.OutWidth];

    [Fact]
    public void Direct_convolution_launches_pack_views_activation_filters_and_geometry()
    {
        var driver = new FakeCudaDriver(90);
        using var b = new CudaBackend(driver, new CudaOptions());
        Assert.Equal((3, 5), (Conv.OutHeight, Conv.OutWidth)); // (7 + 3 - 4 - 1) / 2 + 1 and (6 + 3 - 4 - 1) / 1 + 1
        int inputs = Batch * 3 * 7 * 6, outputs = Batch * Filters * 3 * 5, weights = Filters * Conv.PatchSize;
        var x = b.Allocate(4096);
        var y = b.Allocate(4096);
        var p = b.Allocate(4096);
        b.ConvForward(Conv, Batch, Filters, x.Slice(3, inputs), p.Slice(5, weights), p.Slice(1000, Filters), Activation.Elu, y.Slice(7, outputs));
        b.ConvBackwardData(Conv, Batch, Filters, Activation.Sigmoid, y.Slice(7, outputs), y.Slice(2000, outputs), p.Slice(5, weights), x.Slice(1000, inputs));
        b.ConvBackwardFilter(Conv, Batch, Filters, Activation.Softplus, x.Slice(3, inputs), y.Slice(7, outputs), y.Slice(2000, outputs),
            p.Slice(2000, weights), p.Slice(3000, Filters));

        // (x, xOff, w, wOff, bias, biasOff, y, yOff, act, F, geometry...): one thread per output, rows = (image, f, oy)
        var forward = driver.Launches.Single(l => l.Entry == "conv_forward");
        Assert.Equal(new object[] { 3, 5, 1000, 7 }, new[] { forward.Arguments[1], forward.Arguments[3], forward.Arguments[5], forward.Arguments[7] });
        Assert.Equal(new object[] { (int)Activation.Elu, Filters }, forward.Arguments[8..10]);
        Assert.Equal(Geometry(Conv), forward.Arguments[10..]);
        AssertRows(forward.Geometry, Conv.OutWidth, Batch * Filters * Conv.OutHeight);

        // (y, yOff, dy, dyOff, w, wOff, dx, dxOff, act, F, geometry...): one thread per input, rows = (image, c, iy)
        var data = driver.Launches.Single(l => l.Entry == "conv_backward_data");
        Assert.Equal(new object[] { 7, 2000, 5, 1000 }, new[] { data.Arguments[1], data.Arguments[3], data.Arguments[5], data.Arguments[7] });
        Assert.Equal(new object[] { (int)Activation.Sigmoid, Filters }, data.Arguments[8..10]);
        Assert.Equal(Geometry(Conv), data.Arguments[10..]);
        AssertRows(data.Geometry, Conv.Width, Batch * Conv.Channels * Conv.Height);

        // (x, xOff, y, yOff, dy, dyOff, dw, dwOff, db, dbOff, act, F, geometry...): one block of REDUCE_LOCAL per weight and per bias
        var filter = driver.Launches.Single(l => l.Entry == "conv_backward_filter");
        Assert.Equal(new object[] { 3, 7, 2000, 2000, 3000 },
            new[] { filter.Arguments[1], filter.Arguments[3], filter.Arguments[5], filter.Arguments[7], filter.Arguments[9] });
        Assert.Equal(new object[] { (int)Activation.Softplus, Filters }, filter.Arguments[10..12]);
        Assert.Equal(Geometry(Conv), filter.Arguments[12..]);
        Assert.Equal(new LaunchGeometry((uint)(weights + Filters), 1, 1, GpuAe.Backends.Cuda.Geometry.ReduceBlock), filter.Geometry);
        Assert.Equal(3, driver.Launches.Count);
    }

    /// <summary>Row launches bound-check x only: the grid must cover the rows exactly and the row length fully.</summary>
    private static void AssertRows(LaunchGeometry g, int rowLength, int rows)
    {
        Assert.Equal(rows, (int)(g.GridY * g.BlockY));
        Assert.Equal(1u, g.GridZ);
        Assert.True(g.GridX * g.BlockX >= rowLength && (g.GridX - 1) * g.BlockX < rowLength, g.ToString());
    }

    [Fact]
    public void Direct_convolution_refuses_short_views_and_empty_outputs_with_the_entry_and_view_named()
    {
        var driver = new FakeCudaDriver(90);
        using var b = new CudaBackend(driver, new CudaOptions());
        var a = b.Allocate(4096);
        int inputs = Batch * 3 * 7 * 6, outputs = Batch * Filters * 3 * 5, weights = Filters * Conv.PatchSize;
        var e = Assert.Throws<ArgumentException>(() => b.ConvForward(Conv, Batch, Filters, a.Slice(0, inputs), a.Slice(0, weights),
            a.Slice(0, Filters), Activation.Relu, a.Slice(0, outputs - 1)));
        Assert.Equal($"ConvForward y: needs {outputs} elements, view has {outputs - 1}", e.Message);
        e = Assert.Throws<ArgumentException>(() => b.ConvBackwardData(Conv, Batch, Filters, Activation.Relu, a.Slice(0, outputs),
            a.Slice(0, outputs), a.Slice(0, weights - 1), a.Slice(0, inputs)));
        Assert.Equal($"ConvBackwardData w: needs {weights} elements, view has {weights - 1}", e.Message);
        e = Assert.Throws<ArgumentException>(() => b.ConvBackwardFilter(Conv, Batch, Filters, Activation.Relu, a.Slice(0, inputs),
            a.Slice(0, outputs), a.Slice(0, outputs), a.Slice(0, weights), a.Slice(0, Filters - 1)));
        Assert.Equal($"ConvBackwardFilter db: needs {Filters} elements, view has {Filters - 1}", e.Message);
        var tooSmall = new ConvGeometry(1, 2, 2, 3, 3);
        e = Assert.Throws<ArgumentException>(() => b.ConvForward(tooSmall, 1, 1, a.Slice(0, 4), a.Slice(0, 9), a.Slice(0, 1), Activation.Relu, a.Slice(0, 1)));
        Assert.Contains("ConvForward: geometry", e.Message);
        Assert.Contains("empty output (0x0)", e.Message);
        // an empty batch launches nothing; dW and db of an empty batch are zero sums, still written
        b.ConvForward(Conv, 0, Filters, a.Slice(0, 0), a.Slice(0, weights), a.Slice(0, Filters), Activation.Relu, a.Slice(0, 0));
        b.ConvBackwardData(Conv, 0, Filters, Activation.Relu, a.Slice(0, 0), a.Slice(0, 0), a.Slice(0, weights), a.Slice(0, 0));
        Assert.Empty(driver.Launches);
        b.ConvBackwardFilter(Conv, 0, Filters, Activation.Relu, a.Slice(0, 0), a.Slice(0, 0), a.Slice(0, 0), a.Slice(0, weights), a.Slice(0, Filters));
        Assert.Equal("conv_backward_filter", Assert.Single(driver.Launches).Entry);
    }

    [Fact]
    public void Direct_convolution_is_chosen_for_small_layers_unless_an_option_forces_a_path()
    {
        var wide = new ConvGeometry(64, 14, 14, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);   // 64 * 64 * 9 = 36864 weights
        var preset = new ConvGeometry(16, 28, 28, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        using (var rule = new CudaBackend(new FakeCudaDriver(90), new CudaOptions()))
        {
            Assert.True(rule.PrefersDirectConvolution(preset, 8));
            Assert.True(rule.PrefersDirectConvolution(wide, GpuBackend.DirectConvolutionMaxWeights / (64 * 9)));
            Assert.False(rule.PrefersDirectConvolution(wide, 64));
        }
        using (var im2col = new CudaBackend(new FakeCudaDriver(90), new CudaOptions { DirectConvolution = false }))
            Assert.False(im2col.PrefersDirectConvolution(preset, 8));
        using (var direct = new CudaBackend(new FakeCudaDriver(90), new CudaOptions { DirectConvolution = true }))
            Assert.True(direct.PrefersDirectConvolution(wide, 64));
    }
}

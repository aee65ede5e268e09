using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// The CPU direct convolution (ConvForward, ConvBackwardData, ConvBackwardFilter) against the im2col + GEMM (+ swap)
/// composition on the same backend, in float32 and float64, on random and edge shapes. Tolerance |direct − ref| &lt;=
/// abs + rel·|ref| with abs = rel = 1e-4 in float32 (both sides round in float32, in different orders, over up to a
/// few hundred terms of magnitude &lt;= 1) and abs = rel = 1e-11 in float64.
/// </summary>
public class CpuDirectConvTests
{
    static ConvGeometry Same(int c, int h, int w, int kh, int kw, int dilation = 1)
    {
        int padH = (kh - 1) * dilation, padW = (kw - 1) * dilation;
        return new ConvGeometry(c, h, w, kh, kw, PadTop: padH / 2, PadLeft: padW / 2, PadBottom: padH - padH / 2, PadRight: padW - padW / 2,
            DilationH: dilation, DilationW: dilation);
    }

    /// <summary>Geometry, batch, filters.</summary>
    static readonly (string Name, (ConvGeometry G, int Batch, int Filters) Value)[] CaseList =
    [
        ("C1 28x28 k3 same F16 N3 (conv preset, first)", (Same(1, 28, 28, 3, 3), 3, 16)),
        ("C16 28x28 k3 same F1 N3 (conv preset, last)", (Same(16, 28, 28, 3, 3), 3, 1)),
        ("C8 16x16 k3 valid F16 N1", (new ConvGeometry(8, 16, 16, 3, 3), 1, 16)),
        ("C1 1x1 k3 same F1 N1", (Same(1, 1, 1, 3, 3), 1, 1)),
        ("C3 5x7 k1 F5 N3", (new ConvGeometry(3, 5, 7, 1, 1), 3, 5)),
        ("C17 7x5 k3 same F5 N3", (Same(17, 7, 5, 3, 3), 3, 5)),
        ("C3 13x11 k5x3 same F16 N1", (Same(3, 13, 11, 5, 3), 1, 16)),
        ("C3 9x8 k5x3 valid F5 N3", (new ConvGeometry(3, 9, 8, 5, 3), 3, 5)),
        ("C17 11x9 k3 d2 same F16 N1", (Same(17, 11, 9, 3, 3, dilation: 2), 1, 16)),
        ("C3 7x13 k3 pad(t0,l1,b2,r1) F5 N3", (new ConvGeometry(3, 7, 13, 3, 3, PadTop: 0, PadLeft: 1, PadBottom: 2, PadRight: 1), 3, 5)),
        ("C1 6x5 k3 pad(t4,l0,b0,r3) F5 N1 (padding wider than the kernel)", (new ConvGeometry(1, 6, 5, 3, 3, PadTop: 4, PadLeft: 0, PadBottom: 0, PadRight: 3), 1, 5)),
        ("C3 13x7 k3 s2 pad1 F5 N3", (new ConvGeometry(3, 13, 7, 3, 3, 2, 2, 1, 1, 1, 1), 3, 5)),
        ("C17 9x11 k3x5 s(1,2) d(2,1) pad(2,1,0,2) F1 N3", (new ConvGeometry(17, 9, 11, 3, 5, 1, 2, 2, 1, 0, 2, 2, 1), 3, 1)),
        ("C3 11x14 k2x4 d(1,2) pad(t1,l-1,b-2,r0) F5 N3 (negative padding crops)", (new ConvGeometry(3, 11, 14, 2, 4, 1, 1, 1, -1, -2, 0, 1, 2), 3, 5)),
        ("C3 11x14 k2x4 s(3,2) d(1,2) pad(t0,l1,b-2,r0) F3 N2", (new ConvGeometry(3, 11, 14, 2, 4, 3, 2, 0, 1, -2, 0, 1, 2), 2, 3)),
        ("C1 13x13 k5 s2 F16 N1", (new ConvGeometry(1, 13, 13, 5, 5, 2, 2), 1, 16)),
        ("C3 5x7 k3 s2 d2 pad(1,0,0,1) F5 N3", (new ConvGeometry(3, 5, 7, 3, 3, 2, 2, 1, 0, 0, 1, 2, 2), 3, 5)),
    ];

    static readonly NamedCases<(ConvGeometry G, int Batch, int Filters)> Cases = new(CaseList);

    static readonly Activation[] Activations = Enum.GetValues<Activation>();

    public static TheoryData<string, bool> CasesByPrecision
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var (name, _) in CaseList)
                foreach (bool float64 in new[] { false, true })
                    data.Add(name, float64);
            return data;
        }
    }

    public static TheoryData<Activation, bool> ActivationsByPrecision
    {
        get
        {
            var data = new TheoryData<Activation, bool>();
            foreach (var activation in Activations)
                foreach (bool float64 in new[] { false, true })
                    data.Add(activation, float64);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CasesByPrecision))]
    public void Direct_matches_im2col_gemm(string name, bool float64)
    {
        var (g, batch, filters) = Cases[name];
        // Each geometry with one activation (cycling through them); every activation on two geometries below.
        var activation = Activations[Array.FindIndex(CaseList, c => c.Name == name) % Activations.Length];
        Compare(g, batch, filters, activation, float64, name);
    }

    [Theory]
    [MemberData(nameof(ActivationsByPrecision))]
    public void Every_activation_matches_im2col_gemm(Activation activation, bool float64)
    {
        Compare(Same(3, 9, 7, 3, 3), 3, 5, activation, float64, $"unit stride {activation}");
        Compare(new ConvGeometry(3, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1), 3, 5, activation, float64, $"stride 2 {activation}");
    }

    [Fact]
    public void Same_inputs_give_the_same_bits()
    {
        var g = Same(16, 28, 28, 3, 3);
        const int batch = 37, filters = 5; // not a multiple of the gradient group or the register blocks
        var first = RunDirect(g, batch, filters, Activation.Sigmoid, seed: 9);
        var second = RunDirect(g, batch, filters, Activation.Sigmoid, seed: 9);
        Assert.Equal(first.Y, second.Y);
        Assert.Equal(first.Dx, second.Dx);
        Assert.Equal(first.Dw, second.Dw);
        Assert.Equal(first.Db, second.Db);
    }

    [Fact]
    public void Filter_gradient_sums_images_in_fixed_groups()
    {
        // The group order is fixed by the batch alone: the gradient of a batch equals the in-order sum of the gradients
        // of its groups of GradientGroup images, to the bit (each group's partial is one of those sums).
        var g = Same(3, 9, 7, 3, 3);
        const int filters = 5, group = Backends.Cpu.Kernels.DirectConvKernels.GradientGroup, batch = 2 * group + 1;
        var backend = new CpuBackend(convolution: "direct");
        var random = new System.Random(4);
        double[] x = Kernel.RandomValues(random, (long)batch * g.Channels * g.Height * g.Width);
        double[] y = Kernel.RandomValues(random, (long)batch * filters * g.OutHeight * g.OutWidth);
        double[] dy = Kernel.RandomValues(random, y.Length);
        float[] Gradient(int first, int count)
        {
            int inPlane = g.Channels * g.Height * g.Width, outPlane = filters * g.OutHeight * g.OutWidth;
            var dw = backend.Allocate(filters * g.PatchSize).All;
            var db = backend.Allocate(filters).All;
            backend.ConvBackwardFilter(g, count, filters, Activation.Tanh, backend.Reals(x[(first * inPlane)..((first + count) * inPlane)]),
                backend.Reals(y[(first * outPlane)..((first + count) * outPlane)]), backend.Reals(dy[(first * outPlane)..((first + count) * outPlane)]), dw, db);
            return [.. backend.Floats(dw), .. backend.Floats(db)];
        }
        float[] whole = Gradient(0, batch);
        var sum = new float[whole.Length];
        for (int first = 0; first < batch; first += group)
        {
            float[] part = Gradient(first, Math.Min(group, batch - first));
            for (int i = 0; i < sum.Length; i++) sum[i] += part[i];
        }
        Assert.Equal(sum, whole);
    }

    [Fact]
    public void Convolution_path_is_chosen_by_argument_and_rejects_unknown_names()
    {
        var g = Same(8, 14, 14, 3, 3);
        Assert.True(new CpuBackend(convolution: "direct").PrefersDirectConvolution(g, 8));
        Assert.True(new CpuBackend(convolution: " Direct ").PrefersDirectConvolution(new ConvGeometry(8, 14, 14, 3, 3, 2, 2), 8));
        Assert.False(new CpuBackend(convolution: "im2col").PrefersDirectConvolution(g, 8));
        var e = Assert.Throws<ArgumentException>(() => new CpuBackend(convolution: "winograd"));
        Assert.Equal("Unknown CPU convolution path 'winograd' (argument); expected auto, direct or im2col.", e.Message);
    }

    [Theory]
    [InlineData(1, 28, 16, 1, true)]     // the conv presets' layers
    [InlineData(16, 28, 1, 1, true)]
    [InlineData(32, 28, 32, 1, true)]    // denoise: the largest measured
    [InlineData(64, 14, 64, 1, false)]   // beyond the measurements: OpenBLAS
    [InlineData(256, 7, 1, 1, true)]     // one filter: the GEMM is a GEMV
    [InlineData(16, 14, 8, 2, false)]    // stride 2: the direct path's plain loops lose
    public void Auto_rule_prefers_direct_for_the_measured_shapes(int channels, int size, int filters, int stride, bool direct)
    {
        var g = new ConvGeometry(channels, size, size, 3, 3, stride, stride, 1, 1, 1, 1);
        Assert.Equal(direct, new CpuBackend(convolution: "auto").PrefersDirectConvolution(g, filters));
    }

    [Fact]
    public void Direct_kernels_reject_a_geometry_without_output()
    {
        var backend = new CpuBackend(convolution: "direct");
        var g = new ConvGeometry(1, 2, 2, 3, 3);
        var buffer = backend.Allocate(16).All;
        var e = Assert.Throws<ArgumentException>(() => backend.ConvForward(g, 1, 1, buffer, buffer, buffer, Activation.Linear, buffer));
        Assert.StartsWith("cpu ConvForward: ", e.Message);
        Assert.Contains("an output of at least 1x1", e.Message);
    }

    static void Compare(ConvGeometry g, int batch, int filters, Activation activation, bool float64, string name)
    {
        double abs = float64 ? 1e-11 : 1e-4, rel = abs;
        using var backend = Backend(float64);
        var direct = new ConvWorkload(backend, g, batch, filters, activation, seed: 5);
        direct.DirectForward();
        direct.DirectBackward();
        var reference = new ConvWorkload(backend, g, batch, filters, activation, seed: 5);
        reference.Im2ColForward();
        reference.Im2ColBackward();
        var (got, expected) = (direct.Read(), reference.Read());
        string precision = float64 ? "float64" : "float32";
        AssertClose(expected.Y, got.Y, $"{name} {precision} y", abs, rel);
        AssertClose(expected.Dx, got.Dx, $"{name} {precision} dx", abs, rel);
        AssertClose(expected.Dw, got.Dw, $"{name} {precision} dw", abs, rel);
        AssertClose(expected.Db, got.Db, $"{name} {precision} db", abs, rel);
    }

    static ConvWorkload.Results RunDirect(ConvGeometry g, int batch, int filters, Activation activation, int seed)
    {
        using var backend = Backend(float64: false);
        var workload = new ConvWorkload(backend, g, batch, filters, activation, seed);
        workload.DirectForward();
        workload.DirectBackward();
        return workload.Read();
    }

    static void AssertClose(double[] expected, double[] actual, string context, double abs, double rel)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Kernel.AssertClose(expected[i], actual[i], $"{context} [{i}]", abs, rel);
    }

    /// <summary>The two paths are called explicitly, so the backend's own preference does not matter here.</summary>
    static IBackend Backend(bool float64) => float64 ? new CpuBackend<double>("managed") : new CpuBackend();
}

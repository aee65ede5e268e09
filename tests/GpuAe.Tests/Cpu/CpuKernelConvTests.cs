using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// Im2Col against its index formula (exact), Col2Im as its adjoint (dot-product test), SwapLeadingAxes,
/// and Im2Col + Gemm (+ per-channel bias) + SwapLeadingAxes against a naive direct NCHW convolution.
/// Tolerance for sums: |got - ref| &lt;= 1e-5 (1 + Σ|terms|) + 1e-5 |ref|.
/// </summary>
public class CpuKernelConvTests
{
    readonly IBackend _cpu = new CpuBackend();

    static readonly NamedCases<(ConvGeometry G, int Batch)> Cases = new(
        ("1x1 image k3 pad1", (new ConvGeometry(1, 1, 1, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 1)),
        ("C1 5x5 k1", (new ConvGeometry(1, 5, 5, 1, 1), 1)),
        ("C3 7x5 k3 pad1 N3", (new ConvGeometry(3, 7, 5, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 3)),
        ("C3 13x7 k3 s2 pad1", (new ConvGeometry(3, 13, 7, 3, 3, 2, 2, 1, 1, 1, 1), 1)),
        ("C1 13x13 k5 s2 N3", (new ConvGeometry(1, 13, 13, 5, 5, 2, 2), 3)),
        ("C1 7x7 k3 s2 pad0 N3", (new ConvGeometry(1, 7, 7, 3, 3, 2, 2), 3)),
        ("C3 7x13 k3 pad(t0,l1,b2,r1)", (new ConvGeometry(3, 7, 13, 3, 3, PadTop: 0, PadLeft: 1, PadBottom: 2, PadRight: 1), 1)),
        ("C1 5x13 k3 s2 pad(t1,l1,b0,r0) N3", (new ConvGeometry(1, 5, 13, 3, 3, 2, 2, 1, 1, 0, 0), 3)),
        ("C3 13x13 k3 d2 pad1 N3", (new ConvGeometry(3, 13, 13, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 2, DilationW: 2), 3)),
        ("C1 7x5 k5 pad2", (new ConvGeometry(1, 7, 5, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 1)),
        ("C3 5x7 k3 s2 d2 pad(t1,l0,b0,r1) N3", (new ConvGeometry(3, 5, 7, 3, 3, 2, 2, 1, 0, 0, 1, 2, 2), 3)),
        ("C3 13x7 k5 d2 pad1", (new ConvGeometry(3, 13, 7, 5, 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 2, DilationW: 2), 1)),
        ("C3 7x13 k3x5 s(1,2) pad(1,2) N3", (new ConvGeometry(3, 7, 13, 3, 5, 1, 2, 1, 2, 1, 2), 3)));

    public static TheoryData<string> CaseNames => Cases.Names;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Im2Col_MatchesIndexFormula(string name)
    {
        var (g, batch) = Cases[name];
        double[] x = Kernel.RandomValues(new System.Random(1), (long)batch * g.Channels * g.Height * g.Width);
        var columns = _cpu.Reals(Enumerable.Repeat(float.NaN, g.PatchSize * batch * g.OutHeight * g.OutWidth).ToArray());
        _cpu.Im2Col(g, batch, _cpu.Reals(x), columns);
        Assert.Equal(Kernel.ToFloats(NaiveIm2Col(g, batch, x)), _cpu.Floats(columns));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Col2Im_IsAdjointOfIm2Col(string name)
    {
        var (g, batch) = Cases[name];
        var random = new System.Random(2);
        double[] x = Kernel.RandomValues(random, (long)batch * g.Channels * g.Height * g.Width);
        double[] c = Kernel.RandomValues(random, (long)g.PatchSize * batch * g.OutHeight * g.OutWidth);

        var columns = _cpu.Allocate(c.Length).All;
        _cpu.Im2Col(g, batch, _cpu.Reals(x), columns);
        var dx = _cpu.Reals(Enumerable.Repeat(float.NaN, x.Length).ToArray()); // Col2Im must overwrite
        _cpu.Col2Im(g, batch, _cpu.Reals(c), dx);

        float[] im2col = _cpu.Floats(columns), col2im = _cpu.Floats(dx);
        Kernel.AssertAdjoint(Kernel.Dot(c, im2col), Kernel.Dot(x, col2im), Kernel.DotMagnitude(c, im2col), name);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Im2ColGemmSwap_EqualsDirectConvolution(string name)
    {
        var (g, batch) = Cases[name];
        const int outChannels = 4;
        var random = new System.Random(3);
        double[] x = Kernel.RandomValues(random, (long)batch * g.Channels * g.Height * g.Width);
        double[] w = Kernel.RandomValues(random, outChannels * g.PatchSize), bias = Kernel.RandomValues(random, outChannels);
        int outPlane = g.OutHeight * g.OutWidth, pixels = batch * outPlane;

        var columns = _cpu.Allocate((long)g.PatchSize * pixels).All;
        _cpu.Im2Col(g, batch, _cpu.Reals(x), columns);
        var cnhw = _cpu.Allocate((long)outChannels * pixels).All;
        _cpu.Gemm(Transpose.No, Transpose.No, outChannels, pixels, g.PatchSize, 1f, _cpu.Reals(w), g.PatchSize,
            columns, pixels, 0f, cnhw, pixels, BiasMode.PerRow, _cpu.Reals(bias));
        var nchw = _cpu.Allocate(cnhw.Length).All;
        _cpu.SwapLeadingAxes(outChannels, batch, outPlane, cnhw, nchw);
        float[] got = _cpu.Floats(nchw);

        for (int n = 0; n < batch; n++)
        for (int o = 0; o < outChannels; o++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        {
            double sum = bias[o], magnitude = Math.Abs(bias[o]);
            for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                double input = Pixel(g, x, n, c, oy * g.StrideH - g.PadTop + ky * g.DilationH, ox * g.StrideW - g.PadLeft + kx * g.DilationW);
                double term = w[((o * g.Channels + c) * g.KernelH + ky) * g.KernelW + kx] * input;
                sum += term;
                magnitude += Math.Abs(term);
            }
            int index = ((n * outChannels + o) * g.OutHeight + oy) * g.OutWidth + ox;
            Kernel.AssertClose(sum, got[index], $"{name} y[{n},{o},{oy},{ox}]", abs: Kernel.Abs * (1 + magnitude));
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(4, 3, 1)]
    public void SwapLeadingAxes_Transposes(int a, int b, int inner)
    {
        double[] source = Kernel.RandomValues(new System.Random(a * b), a * b * inner);
        var destination = _cpu.Allocate(source.Length).All;
        _cpu.SwapLeadingAxes(a, b, inner, _cpu.Reals(source), destination);
        float[] got = _cpu.Floats(destination);
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                for (int e = 0; e < inner; e++)
                    Assert.Equal((float)source[(i * b + j) * inner + e], got[(j * a + i) * inner + e]);
    }

    /// <summary>columns[(c, ky, kx), (n, oy, ox)] = x[n, c, oy*sH - padTop + ky*dH, ox*sW - padLeft + kx*dW] (0 outside).</summary>
    static double[] NaiveIm2Col(ConvGeometry g, int batch, double[] x)
    {
        int oh = g.OutHeight, ow = g.OutWidth, columnCount = batch * oh * ow;
        var columns = new double[g.PatchSize * columnCount];
        for (int c = 0; c < g.Channels; c++)
        for (int ky = 0; ky < g.KernelH; ky++)
        for (int kx = 0; kx < g.KernelW; kx++)
        for (int n = 0; n < batch; n++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            int row = (c * g.KernelH + ky) * g.KernelW + kx, column = (n * oh + oy) * ow + ox;
            columns[row * columnCount + column] =
                Pixel(g, x, n, c, oy * g.StrideH - g.PadTop + ky * g.DilationH, ox * g.StrideW - g.PadLeft + kx * g.DilationW);
        }
        return columns;
    }

    static double Pixel(ConvGeometry g, double[] x, int n, int c, int iy, int ix) =>
        iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width ? 0 : x[((n * g.Channels + c) * g.Height + iy) * g.Width + ix];
}

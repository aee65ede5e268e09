using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// Max / average pooling and nearest upsampling: forward against naive loops, backward as the adjoint of
/// the forward (dot-product test: &lt;A x, dy&gt; == &lt;x, Aᵀ dy&gt;, within 1e-5 (1 + Σ|terms|)). Max pooling
/// forward is exact (a selection); average pooling uses |got - ref| &lt;= 1e-5 + 1e-5 |ref|.
/// </summary>
public class CpuKernelPoolTests
{
    readonly IBackend _cpu = new CpuBackend();

    static readonly NamedCases<(PoolGeometry G, int Planes)> Pools = new(
        ("1x1 w1", (new PoolGeometry(1, 1, 1, 1, 1, 1), 1)),
        ("5x5 w2 s2 (ragged)", (new PoolGeometry(5, 5, 2, 2, 2, 2), 3)),
        ("7x13 w3 s2 pad1", (new PoolGeometry(7, 13, 3, 3, 2, 2, 1, 1, 1, 1), 2)),
        ("13x7 w3 s1 pad(t0,l1,b2,r0)", (new PoolGeometry(13, 7, 3, 3, 1, 1, 0, 1, 2, 0), 3)),
        ("7x5 w2 s1 (overlapping)", (new PoolGeometry(7, 5, 2, 2, 1, 1), 2)),
        ("5x7 w3x2 s(2,1)", (new PoolGeometry(5, 7, 3, 2, 2, 1), 3)),
        ("3x3 w2 s2 pad(t2,l2): padding-only windows", (new PoolGeometry(3, 3, 2, 2, 2, 2, 2, 2, 0, 0), 2)),
        ("13x13 w2 s2, 40 planes (threads)", (new PoolGeometry(13, 13, 2, 2, 2, 2), 40)),
        // 2-wide stride-2 windows take the vector path (four windows per step) with a scalar tail
        ("28x28 w2 s2 (vector path)", (new PoolGeometry(28, 28, 2, 2, 2, 2), 3)),
        ("7x18 w2 s2 pad(b1,r1): one-row last windows", (new PoolGeometry(7, 18, 2, 2, 2, 2, 0, 0, 1, 1), 2)),
        ("9x16 w3x2 s2 pad(t1): three rows, vector path", (new PoolGeometry(9, 16, 3, 2, 2, 2, 1, 0, 1, 0), 2)),
        ("3x8 w2 s(3,2) pad(t2,b2): padding-only rows", (new PoolGeometry(3, 8, 2, 2, 3, 2, 2, 0, 2, 0), 2)));

    public static TheoryData<string> PoolNames => Pools.Names;

    /// <summary>Continuous values, heavy ties (three levels) and all-negative values (padding must not win as 0).</summary>
    static IEnumerable<(string Name, double[] X)> Inputs(long length)
    {
        var random = new System.Random((int)length);
        yield return ("uniform", Kernel.RandomValues(random, length));
        yield return ("ties", Kernel.RandomValues(random, length).Select(v => Math.Round(v)).ToArray());
        yield return ("negative", Kernel.RandomValues(random, length, -2, -1));
    }

    [Theory]
    [MemberData(nameof(PoolNames))]
    public void MaxPoolForward_TakesFirstMaximumAndItsIndex(string name)
    {
        var (g, planes) = Pools[name];
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        foreach (var (inputName, x) in Inputs((long)planes * plane))
        {
            var y = _cpu.Allocate(planes * outPlane).All;
            var argmax = _cpu.Allocate(planes * outPlane, ElementType.Int32).All;
            _cpu.MaxPoolForward(g, planes, _cpu.Reals(x), y, argmax);
            float[] gotY = _cpu.Floats(y);
            int[] gotArgmax = _cpu.Ints(argmax);

            for (int p = 0; p < planes; p++)
            foreach (var (oy, ox, window) in Windows(g))
            {
                int best = -1;
                foreach (int i in window)
                    if (best < 0 || x[p * plane + i] > x[p * plane + best]) best = i;
                int o = p * outPlane + oy * g.OutWidth + ox;
                string where = $"{name} {inputName} plane {p} out ({oy},{ox})";
                Assert.True(best == gotArgmax[o], $"{where}: argmax {gotArgmax[o]}, expected {best}");
                // A window over padding only has no maximum: argmax -1 and the reference writes 0.
                Assert.True((best < 0 ? 0f : (float)x[p * plane + best]) == gotY[o], $"{where}: y {gotY[o]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PoolNames))]
    public void MaxPoolBackward_IsAdjointOfTheArgmaxSelection(string name)
    {
        var (g, planes) = Pools[name];
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        foreach (var (inputName, x) in Inputs((long)planes * plane))
        {
            var argmax = _cpu.Allocate(planes * outPlane, ElementType.Int32).All;
            _cpu.MaxPoolForward(g, planes, _cpu.Reals(x), _cpu.Allocate(planes * outPlane).All, argmax);
            int[] indices = _cpu.Ints(argmax);

            // The forward map with the argmax fixed is linear in x: (A v)[o] = v[argmax[o]] (0 for -1).
            var random = new System.Random(5);
            double[] v = Kernel.RandomValues(random, x.Length), dy = Kernel.RandomValues(random, planes * outPlane);
            var av = new float[dy.Length];
            for (int o = 0; o < av.Length; o++)
                av[o] = indices[o] < 0 ? 0 : (float)v[o / outPlane * plane + indices[o]];

            var dx = _cpu.Reals(Enumerable.Repeat(float.NaN, x.Length).ToArray());
            _cpu.MaxPoolBackward(g, planes, _cpu.Reals(dy), argmax, dx);
            float[] adjoint = _cpu.Floats(dx);
            Kernel.AssertAdjoint(Kernel.Dot(dy, av), Kernel.Dot(v, adjoint), Kernel.DotMagnitude(dy, av), $"{name} {inputName}");
        }
    }

    [Theory]
    [MemberData(nameof(PoolNames))]
    public void AvgPoolForward_DividesByWindowSizeWithZeroPadding(string name)
    {
        var (g, planes) = Pools[name];
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        double[] x = Kernel.RandomValues(new System.Random(6), planes * plane);
        var y = _cpu.Allocate(planes * outPlane).All;
        _cpu.AvgPoolForward(g, planes, _cpu.Reals(x), y);

        var expected = new double[planes * outPlane];
        for (int p = 0; p < planes; p++)
            foreach (var (oy, ox, window) in Windows(g))
                expected[p * outPlane + oy * g.OutWidth + ox] = window.Sum(i => x[p * plane + i]) / (g.WindowH * g.WindowW);
        Kernel.AssertClose(expected, _cpu.Floats(y), name);
    }

    [Theory]
    [MemberData(nameof(PoolNames))]
    public void AvgPoolBackward_IsAdjointOfForward(string name)
    {
        var (g, planes) = Pools[name];
        var random = new System.Random(7);
        double[] x = Kernel.RandomValues(random, planes * g.Height * g.Width);
        double[] dy = Kernel.RandomValues(random, planes * g.OutHeight * g.OutWidth);
        var y = _cpu.Allocate(dy.Length).All;
        _cpu.AvgPoolForward(g, planes, _cpu.Reals(x), y);
        var dx = _cpu.Reals(Enumerable.Repeat(float.NaN, x.Length).ToArray());
        _cpu.AvgPoolBackward(g, planes, _cpu.Reals(dy), dx);
        float[] forward = _cpu.Floats(y), adjoint = _cpu.Floats(dx);
        Kernel.AssertAdjoint(Kernel.Dot(dy, forward), Kernel.Dot(x, adjoint), Kernel.DotMagnitude(dy, forward), name);
    }

    public static TheoryData<int, int, int, int, int> Upsamples() => new()
    {
        { 1, 1, 1, 1, 1 }, { 3, 5, 7, 2, 2 }, { 2, 7, 5, 3, 2 }, { 1, 13, 1, 1, 3 }, { 40, 7, 7, 2, 2 },
        { 3, 5, 9, 2, 2 }, { 2, 4, 16, 2, 2 }, { 2, 3, 8, 3, 2 },
    };

    /// <summary>The backward pass sums each block row by row from zero, in float, the GPU kernels' order: exactly, on the
    /// vector path (scale 2x2, four inputs per step) and its scalar tail alike.</summary>
    [Theory]
    [MemberData(nameof(Upsamples))]
    public void UpsampleNearestBackward_SumsEachBlockInRowOrder(int planes, int height, int width, int scaleH, int scaleW)
    {
        int outH = height * scaleH, outW = width * scaleW;
        float[] dy = Kernel.ToFloats(Kernel.RandomValues(new System.Random(9), planes * outH * outW));
        var dx = _cpu.Allocate(planes * height * width).All;
        _cpu.UpsampleNearestBackward(planes, height, width, scaleH, scaleW, _cpu.Reals(dy), dx);
        float[] got = _cpu.Floats(dx);
        for (int p = 0; p < planes; p++)
            for (int iy = 0; iy < height; iy++)
                for (int ix = 0; ix < width; ix++)
                {
                    float sum = 0;
                    for (int a = 0; a < scaleH; a++)
                        for (int b = 0; b < scaleW; b++)
                            sum += dy[(p * outH + iy * scaleH + a) * outW + ix * scaleW + b];
                    Assert.True(sum == got[(p * height + iy) * width + ix], $"upsample backward {planes}x{height}x{width} by {scaleH}x{scaleW} at ({p},{iy},{ix})");
                }
    }

    [Theory]
    [MemberData(nameof(Upsamples))]
    public void UpsampleNearest_ForwardRepeatsAndBackwardIsAdjoint(int planes, int height, int width, int scaleH, int scaleW)
    {
        var random = new System.Random(8);
        int outH = height * scaleH, outW = width * scaleW;
        double[] x = Kernel.RandomValues(random, planes * height * width), dy = Kernel.RandomValues(random, planes * outH * outW);
        var y = _cpu.Allocate(dy.Length).All;
        _cpu.UpsampleNearestForward(planes, height, width, scaleH, scaleW, _cpu.Reals(x), y);
        float[] forward = _cpu.Floats(y);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                    Assert.Equal((float)x[(p * height + oy / scaleH) * width + ox / scaleW], forward[(p * outH + oy) * outW + ox]);

        var dx = _cpu.Reals(Enumerable.Repeat(float.NaN, x.Length).ToArray());
        _cpu.UpsampleNearestBackward(planes, height, width, scaleH, scaleW, _cpu.Reals(dy), dx);
        Kernel.AssertAdjoint(Kernel.Dot(dy, forward), Kernel.Dot(x, _cpu.Floats(dx)), Kernel.DotMagnitude(dy, forward),
            $"upsample {planes}x{height}x{width} by {scaleH}x{scaleW}");
    }

    /// <summary>Every output position with the in-plane flat indices its window covers, row-major (padding left out).</summary>
    static IEnumerable<(int Oy, int Ox, List<int> Window)> Windows(PoolGeometry g)
    {
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                var window = new List<int>();
                for (int wy = 0; wy < g.WindowH; wy++)
                    for (int wx = 0; wx < g.WindowW; wx++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + wy, ix = ox * g.StrideW - g.PadLeft + wx;
                        if (iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width) window.Add(iy * g.Width + ix);
                    }
                yield return (oy, ox, window);
            }
    }
}

using System.Globalization;
using GpuAe.Backends;

namespace GpuAe.Conformance;

// The fused entries that cut launches per training step (issue #13): the loss with its whole reduction in one launch
// (LossLanes: lanes are compared by their sum, since backends may spread the loss over them differently) and a dense
// layer's activation backward with its bias gradient (ActivationBackwardBias); the GEMMs with fused operand forms:
// the activation derivative on A's loads with the row sums of op(A) (GemmActivationGradient) and the batch gather on
// the first GEMM's loads (GemmGatherRows).
public static partial class ConformanceSuite
{
    // properties, not fields: Checks (another part of this class) reads them while its static fields initialise
    private static Check[] FusedChecks =>
    [
        new("LossLanes", new Tolerance(1e-6, 2e-5), LossLanesCheck),
        new("ActivationBackwardBias", LongSums, ActivationBackwardBiasCheck),
        new("GemmActivationGradient", GemmTolerance, GemmActivationGradientCheck),
        new("GemmGatherRows", GemmTolerance, GemmGatherRowsCheck),
    ];

    // 1, primes, and sizes off the tiles (8-row CPU blocks, 16-column panels, 32/64 GPU tiles); dense32's own shapes
    private static readonly (int M, int N, int K)[] FusedGemmShapes =
    [
        (1, 1, 1), (1, 17, 3), (13, 1, 7), (7, 13, 5), (31, 61, 17), (65, 33, 129), (127, 131, 37), (32, 784, 256), (256, 784, 32),
        (200, 100, 0),
    ];

    private static void GemmActivationGradientCheck(Session s)
    {
        var activations = Enum.GetValues<Activation>();
        int index = 0;
        foreach (var (m, n, k) in FusedGemmShapes)
            foreach (var act in activations)
                for (int t = 0; t < 4; t++)
                {
                    var ta = (t & 2) != 0 ? Transpose.Yes : Transpose.No;
                    var tb = (t & 1) != 0 ? Transpose.Yes : Transpose.No;
                    bool sums = (index + t) % 3 != 2;
                    int pad = sums || index % 2 == 0 ? 0 : 3;   // row sums need a contiguous dz
                    index++;
                    if ((long)m * n * k > 1_000_000 && t != 2) continue;   // the large shapes: dense32's dW form (tn) only
                    s.Case($"{m}x{n}x{k} {ta}/{tb} {act} rowSums={sums} lda+{pad}", () =>
                    {
                        int aRows = ta == Transpose.No ? m : k, aCols = ta == Transpose.No ? k : m;
                        int bRows = tb == Transpose.No ? k : n, bCols = tb == Transpose.No ? n : k;
                        int lda = aCols + pad, ldb = bCols, ldc = n;
                        int aLength = Math.Max(0, (aRows - 1) * lda + aCols);
                        // y in the activation's range (what a forward pass stores), dy any sign
                        var y = s.Real(s.Uniform(aLength, -4f, 4f).Select(v => (float)ActivationReference.Forward(act, ActivationParameters.Default, v)).ToArray());
                        var dy = s.Real(s.Uniform(aLength));
                        var b = s.Real(s.Uniform(Math.Max(0, (bRows - 1) * ldb + bCols)));
                        var c = s.Real(Math.Max(0, (m - 1) * ldc + n));
                        var rowSums = s.Real(m);
                        s.Ref.GemmActivationGradient(ta, tb, m, n, k, act, y.R, dy.R, lda, b.R, ldb, c.R, ldc, sums ? rowSums.R : null);
                        s.Sub.GemmActivationGradient(ta, tb, m, n, k, act, y.S, dy.S, lda, b.S, ldb, c.S, ldc, sums ? rowSums.S : null);
                        s.Compare("C", c);
                        if (sums) s.Compare("rowSums", rowSums, LongSums);
                    });
                }
    }

    private static void GemmGatherRowsCheck(Session s)
    {
        var activations = Enum.GetValues<Activation>();
        int index = 0;
        foreach (var (m, n, k) in FusedGemmShapes)
            foreach (var tb in new[] { Transpose.Yes, Transpose.No })
            {
                var bias = (BiasMode)(index % 3);
                var act = activations[index % activations.Length];
                index++;
                s.Case($"{m}x{n}x{k} B {tb} bias {bias} {act}", () =>
                {
                    int sourceRows = 3 + m * 2;
                    var source = s.Real(s.Uniform(sourceRows * k));
                    var order = new int[m + 5];
                    for (int i = 0; i < order.Length; i++) order[i] = s.Random.Next(sourceRows);
                    var indices = s.Ints(order);
                    var picked = new BufferView[] { indices.R.Slice(2, m), indices.S.Slice(2, m) };   // a batch inside the order
                    int bRows = tb == Transpose.No ? k : n, bCols = tb == Transpose.No ? n : k;
                    var b = s.Real(s.Uniform(Math.Max(0, (bRows - 1) * bCols + bCols)));
                    var gathered = s.Real(m * k);
                    var c = s.Real(m * n);
                    var biasValues = s.Real(s.Uniform(bias == BiasMode.PerRow ? m : n));
                    BufferView? rb = bias == BiasMode.None ? null : biasValues.R, sb = bias == BiasMode.None ? null : biasValues.S;
                    s.Ref.GemmGatherRows(tb, m, n, k, source.R, picked[0], gathered.R, b.R, bCols, c.R, n, bias, rb, act);
                    s.Sub.GemmGatherRows(tb, m, n, k, source.S, picked[1], gathered.S, b.S, bCols, c.S, n, bias, sb, act);
                    s.Compare("C", c);
                    if (n > 0) s.Compare("gathered", gathered, Bitwise);
                });
            }
    }

    private static void LossLanesCheck(Session s)
    {
        foreach (var kind in Enum.GetValues<LossKind>())
            foreach (int n in new[] { 1, 7, 4099, 100003 })
                foreach (int laneCount in new[] { 1, 3, 64 })
                    foreach (bool gradient in new[] { true, false })
                    {
                        if (!gradient && n < 100) continue;
                        s.Case($"{kind} n={n} lanes={laneCount} gradient={gradient}", () =>
                        {
                            bool logits = kind == LossKind.BinaryCrossEntropyWithLogits, probabilities = kind == LossKind.BinaryCrossEntropy;
                            var p = s.Real(logits ? s.Uniform(n, -8f, 8f) : probabilities ? Probabilities(s, n) : s.Uniform(n));
                            var t = s.Real(logits || probabilities ? s.Uniform(n, 0f, 1f) : s.Uniform(n));
                            var lanes = s.Real(s.Uniform(laneCount, 0.5f, 1.5f));   // accumulates onto what is there
                            var g = s.Real(n);
                            float scale = 1f / n;
                            s.Ref.LossLanes(kind, p.R, t.R, scale, lanes.R, gradient ? g.R : null);
                            s.Sub.LossLanes(kind, p.S, t.S, scale, lanes.S, gradient ? g.S : null);
                            s.CompareLaneSums("loss", lanes);
                            s.Compare("gradient", g, new Tolerance(s.Tolerance.Absolute * scale, s.Tolerance.Relative));
                        });
                    }
    }

    private static void ActivationBackwardBiasCheck(Session s)
    {
        (int Rows, int Cols)[] shapes = [(1, 1), (7, 13), (256, 32), (3, 1000), (17, 5003), (256, 784)];
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var (rows, cols) in shapes)
                foreach (bool inPlace in new[] { false, true })
                {
                    if (inPlace && rows * cols > 10000) continue;
                    s.Case($"{act} {rows}x{cols} in-place={inPlace}", () =>
                    {
                        // y in the activation's range (what a forward pass stores), dy any sign
                        var x = s.Uniform(rows * cols, -4f, 4f);
                        var y = s.Real(x.Select(v => (float)ActivationReference.Forward(act, ActivationParameters.Default, v)).ToArray());
                        var dy = s.Real(s.Uniform(rows * cols));
                        var dz = inPlace ? dy : s.Real(rows * cols);
                        var db = s.Real(s.Uniform(cols));
                        s.Ref.ActivationBackwardBias(act, rows, cols, y.R, dy.R, dz.R, db.R);
                        s.Sub.ActivationBackwardBias(act, rows, cols, y.S, dy.S, dz.S, db.S);
                        s.Compare("dz", dz, Transcendental);
                        s.Compare("dbias", db);
                    });
                }
    }

    private sealed partial class Session
    {
        /// <summary>Compares the sums of the lanes (float64, lane order) and checks the padding around them is untouched.</summary>
        public void CompareLaneSums(string what, Pair lanes)
        {
            var r = new float[lanes.RBuffer.Length];
            var s = new float[lanes.SBuffer.Length];
            reference.Download(lanes.RBuffer.All, r);
            subject.Download(lanes.SBuffer.All, s);
            long start = lanes.R.Offset, end = start + lanes.Length;
            double want = 0, got = 0;
            for (int i = 0; i < r.Length; i++)
            {
                if (i >= start && i < end)
                {
                    want += r[i];
                    got += s[i];
                }
                else if (BitConverter.SingleToInt32Bits(r[i]) != BitConverter.SingleToInt32Bits(s[i]))
                {
                    Fail($"{what} padding[{i}] (written outside the view)");
                    return;
                }
            }
            double error = double.IsFinite(got) ? Math.Abs(got - want) : double.PositiveInfinity, allowed = tolerance.Allowed(want);
            _maxAbs = Math.Max(_maxAbs, double.IsFinite(error) ? error : 0);
            _worst = Math.Max(_worst, allowed > 0 ? error / allowed : error > 0 ? double.PositiveInfinity : 0);
            if (error > allowed)
                Fail(string.Create(CultureInfo.InvariantCulture, $"{what} (sum of {lanes.Length} lanes): reference {want:G9}, subject {got:G9}, |err| {error:G3} > {allowed:G3}"));
        }
    }
}

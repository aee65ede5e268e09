using System.Globalization;
using GpuAe.Backends;

namespace GpuAe.Conformance;

// The fused entries that cut launches per training step (issue #13): the loss with its whole reduction in one launch
// (LossLanes: lanes are compared by their sum, since backends may spread the loss over them differently) and a dense
// layer's activation backward with its bias gradient (ActivationBackwardBias).
public static partial class ConformanceSuite
{
    // properties, not fields: Checks (another part of this class) reads them while its static fields initialise
    private static Check[] FusedChecks =>
    [
        new("LossLanes", new Tolerance(1e-6, 2e-5), LossLanesCheck),
        new("ActivationBackwardBias", LongSums, ActivationBackwardBiasCheck),
    ];

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

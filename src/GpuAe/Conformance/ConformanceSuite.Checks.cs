using GpuAe.Backends;

namespace GpuAe.Conformance;

public static partial class ConformanceSuite
{
    // Lengths for elementwise kernels: 1, primes, around work-group and chunk sizes, one large.
    private static readonly int[] Lengths = [1, 7, 61, 256, 257, 4099, 65537];

    // Tolerances, stated once. Inputs are O(1); GEMM's K reaches 784 (error grows ~ sqrt(K)·eps·|terms|).
    private static readonly Tolerance Bitwise = Tolerance.Exact;
    private static readonly Tolerance OneRounding = new(1e-7, 1e-6);
    private static readonly Tolerance ShortSums = new(1e-6, 1e-5);
    private static readonly Tolerance Transcendental = new(1e-6, 1e-5);
    private static readonly Tolerance GemmTolerance = new(1e-4, 1e-4);
    private static readonly Tolerance LongSums = new(1e-4, 2e-5);

    private static readonly Check[] Checks =
    [
        new("Fill", Bitwise, FillCheck),
        new("Copy", Bitwise, CopyCheck),
        new("Axpy", OneRounding, AxpyCheck),
        new("Scale", OneRounding, ScaleCheck),
        new("AddClampedNoise", OneRounding, AddClampedNoiseCheck),
        new("Gemm", GemmTolerance, GemmCheck),
        new("BiasGradient", LongSums, BiasGradientCheck),
        new("ActivationForward", Transcendental, ActivationForwardCheck),
        new("ActivationBackward", Transcendental, ActivationBackwardCheck),
        new("ChannelBiasActivation", Transcendental, ChannelBiasActivationCheck),
        .. ActivationLossChecks,
        new("Im2Col", Bitwise, Im2ColCheck),
        new("Col2Im", ShortSums, Col2ImCheck),
        new("SwapLeadingAxes", Bitwise, SwapCheck),
        new("MaxPoolForward", Bitwise, MaxPoolForwardCheck),
        new("MaxPoolBackward", ShortSums, MaxPoolBackwardCheck),
        new("AvgPoolForward", ShortSums, AvgPoolForwardCheck),
        new("AvgPoolBackward", ShortSums, AvgPoolBackwardCheck),
        new("UpsampleNearestForward", Bitwise, UpsampleForwardCheck),
        new("UpsampleNearestBackward", ShortSums, UpsampleBackwardCheck),
        new("Loss", new Tolerance(1e-6, 2e-5), LossCheck),
        .. FusedChecks,
        new("OptimizerUpdate", new Tolerance(1e-6, 1e-5), OptimizerCheck),
        new("GatherRows", Bitwise, GatherRowsCheck),
        new("Random (Uniform)", Bitwise, s => RandomCheck(s, RandomDistribution.Uniform)),
        new("Random (Normal)", new Tolerance(1e-5, 1e-5), s => RandomCheck(s, RandomDistribution.Normal)),
        new("RandomForStep", new Tolerance(1e-5, 1e-5), RandomForStepCheck),
        new("Sum", LongSums, SumCheck),
        new("RowSums", LongSums, RowSumsCheck),
        new("ActivityPenalty", new Tolerance(1e-6, 2e-5), ActivityPenaltyCheck),
        new("ContractivePenalty", new Tolerance(1e-5, 5e-5), ContractivePenaltyCheck),
        new("VaeReparameterizeForward", Transcendental, VaeForwardCheck),
        new("VaeReparameterizeBackward", LongSums, VaeBackwardCheck),
        .. SpatialChecks,
        .. DirectConvChecks,
    ];

    private static void FillCheck(Session s)
    {
        foreach (int n in Lengths)
            s.Case($"n={n}", () =>
            {
                var x = s.Real(s.Uniform(n));
                s.Ref.Fill(x.R, 0.375f);
                s.Sub.Fill(x.S, 0.375f);
                s.Compare("x", x);
            });
    }

    private static void CopyCheck(Session s)
    {
        foreach (int n in Lengths)
            s.Case($"n={n}", () =>
            {
                var x = s.Real(s.Uniform(n));
                var y = s.Real(n);
                s.Ref.Copy(x.R, y.R);
                s.Sub.Copy(x.S, y.S);
                s.Compare("destination", y);
            });
    }

    private static void AxpyCheck(Session s)
    {
        foreach (int n in Lengths)
            s.Case($"n={n}", () =>
            {
                var x = s.Real(s.Uniform(n));
                var y = s.Real(s.Uniform(n));
                s.Ref.Axpy(-0.75f, x.R, y.R);
                s.Sub.Axpy(-0.75f, x.S, y.S);
                s.Compare("y", y);
            });
    }

    private static void ScaleCheck(Session s)
    {
        foreach (int n in Lengths)
            s.Case($"n={n}", () =>
            {
                var x = s.Real(s.Uniform(n));
                s.Ref.Scale(x.R, 1.7f);
                s.Sub.Scale(x.S, 1.7f);
                s.Compare("x", x);
            });
    }

    private static void AddClampedNoiseCheck(Session s)
    {
        foreach (int n in Lengths)
            s.Case($"n={n}", () =>
            {
                // clean in [0,1), noise wide enough that both bounds clip
                var clean = s.Real(s.Uniform(n, 0f, 1f));
                var noise = s.Real(s.Uniform(n, -2f, 2f));
                s.Ref.AddClampedNoise(clean.R, 0.5f, noise.R, 0f, 1f);
                s.Sub.AddClampedNoise(clean.S, 0.5f, noise.S, 0f, 1f);
                s.Compare("noise", noise);
            });
    }

    private static void GemmCheck(Session s)
    {
        (int M, int N, int K)[] shapes =
        [
            (1, 1, 1), (1, 17, 3), (13, 1, 7), (7, 13, 5), (8, 16, 1), (31, 61, 17), (64, 64, 64), (65, 33, 129),
            (127, 131, 37), (129, 257, 263), (16, 784, 9), (256, 32, 784), (256, 784, 32), (32, 784, 256), (200, 100, 0),
        ];
        var activations = Enum.GetValues<Activation>();
        int index = 0;
        foreach (var (m, n, k) in shapes)
            for (int t = 0; t < 4; t++)
            {
                var ta = (t & 2) != 0 ? Transpose.Yes : Transpose.No;
                var tb = (t & 1) != 0 ? Transpose.Yes : Transpose.No;
                var bias = (BiasMode)(index % 3);
                var act = activations[index % activations.Length];
                float alpha = index % 2 == 0 ? 1f : -1.25f;
                float beta = index % 3 == 1 ? 0.5f : 0f;
                int pad = index % 4 == 3 ? 3 : 0;
                index++;
                s.Case($"{m}x{n}x{k} {ta}/{tb} alpha {alpha} beta {beta} bias {bias} {act} ld+{pad}", () =>
                {
                    int aRows = ta == Transpose.No ? m : k, aCols = ta == Transpose.No ? k : m;
                    int bRows = tb == Transpose.No ? k : n, bCols = tb == Transpose.No ? n : k;
                    int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
                    var a = s.Real(s.Uniform(Math.Max(0, (aRows - 1) * lda + aCols)));
                    var b = s.Real(s.Uniform(Math.Max(0, (bRows - 1) * ldb + bCols)));
                    // beta = 0 must not read C: NaN garbage there has to vanish.
                    var cInit = beta == 0 ? Enumerable.Repeat(float.NaN, (m - 1) * ldc + n).ToArray() : s.Uniform((m - 1) * ldc + n);
                    if (pad > 0) for (int r = 0; r < m; r++) for (int j = n; j < ldc && r * ldc + j < cInit.Length; j++) cInit[r * ldc + j] = 42f;
                    var c = s.Real(cInit);
                    var biasValues = s.Real(s.Uniform(bias == BiasMode.PerRow ? m : n));
                    BufferView? rb = bias == BiasMode.None ? null : biasValues.R, sb = bias == BiasMode.None ? null : biasValues.S;
                    s.Ref.Gemm(ta, tb, m, n, k, alpha, a.R, lda, b.R, ldb, beta, c.R, ldc, bias, rb, act);
                    s.Sub.Gemm(ta, tb, m, n, k, alpha, a.S, lda, b.S, ldb, beta, c.S, ldc, bias, sb, act);
                    s.Compare("C", c);
                });
            }
    }

    private static void BiasGradientCheck(Session s)
    {
        (int Rows, int Cols)[] shapes = [(1, 1), (7, 13), (256, 32), (3, 1000), (16, 5003), (256, 784)];
        foreach (var (rows, cols) in shapes)
            foreach (var mode in new[] { BiasMode.PerColumn, BiasMode.PerRow })
                foreach (bool accumulate in new[] { false, true })
                    s.Case($"{mode} {rows}x{cols} accumulate={accumulate}", () =>
                    {
                        var dy = s.Real(s.Uniform(rows * cols));
                        var db = s.Real(s.Uniform(mode == BiasMode.PerRow ? rows : cols));
                        s.Ref.BiasGradient(mode, rows, cols, dy.R, db.R, accumulate);
                        s.Sub.BiasGradient(mode, rows, cols, dy.S, db.S, accumulate);
                        s.Compare("dbias", db);
                    });
    }

    private static void ActivationForwardCheck(Session s)
    {
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var parameters in ParameterSets(act))
                foreach (int n in new[] { 1, 61, 4099 })
                    foreach (bool inPlace in new[] { false, true })
                        s.Case($"{act} {parameters} n={n} in-place={inPlace}", () =>
                        {
                            var x = s.Real(s.Uniform(n, -8f, 8f));
                            var y = inPlace ? x : s.Real(n);
                            s.Ref.ActivationForward(act, parameters, x.R, y.R);
                            s.Sub.ActivationForward(act, parameters, x.S, y.S);
                            s.Compare("y", y);
                        });
    }

    private static void ActivationBackwardCheck(Session s)
    {
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var parameters in ParameterSets(act))
                foreach (int n in new[] { 1, 61, 4099 })
                    s.Case($"{act} {parameters} n={n}", () =>
                    {
                        // y must be an output of f: take the reference's forward pass of random x.
                        var x = s.Real(s.Uniform(n, -6f, 6f));
                        var y0 = s.Real(n);
                        s.Ref.ActivationForward(act, parameters, x.R, y0.R);
                        var y = s.Real(s.ReferenceValues(y0));
                        var dy = s.Real(s.Uniform(n));
                        var dx = s.Real(n);
                        s.Ref.ActivationBackward(act, parameters, y.R, dy.R, dx.R);
                        s.Sub.ActivationBackward(act, parameters, y.S, dy.S, dx.S);
                        s.Compare("dx", dx);
                    });
    }

    private static void ChannelBiasActivationCheck(Session s)
    {
        // (batch, channels, plane): ones, primes, a plane past the 64-wide row block, the conv-transpose preset's 16 x 28 x 28
        (int Batch, int Channels, int Plane)[] shapes = [(1, 1, 1), (2, 3, 7), (3, 5, 61), (1, 7, 257), (4, 16, 784)];
        var activations = Enum.GetValues<Activation>();
        int index = 0;
        foreach (var (batch, channels, plane) in shapes)
            foreach (var act in activations)
            {
                bool inPlace = index++ % 2 == 1;
                s.Case($"{act} [{batch},{channels},{plane}] in-place={inPlace}", () =>
                {
                    int n = batch * channels * plane;
                    var x = s.Real(s.Uniform(n, -6f, 6f));
                    var bias = s.Real(s.Uniform(channels, -2f, 2f));
                    var y = inPlace ? x : s.Real(n);
                    s.Ref.ChannelBiasActivation(act, batch, channels, plane, x.R, bias.R, y.R);
                    s.Sub.ChannelBiasActivation(act, batch, channels, plane, x.S, bias.S, y.S);
                    s.Compare("y", y);
                });
            }
    }

    private static readonly (ConvGeometry G, int Batch)[] ConvCases =
    [
        (new ConvGeometry(1, 1, 1, 1, 1), 1),
        (new ConvGeometry(1, 28, 28, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 2),
        (new ConvGeometry(3, 7, 5, 2, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 1), 3),
        (new ConvGeometry(2, 11, 13, 3, 3, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, DilationH: 2, DilationW: 2), 2),
        (new ConvGeometry(16, 14, 14, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 4),
        (new ConvGeometry(5, 9, 9, 1, 1, StrideH: 3, StrideW: 2), 1),
        (new ConvGeometry(2, 1, 1, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 3),
    ];

    // The bodies are shared with the PyTorch-geometry cases (ConformanceSuite.Spatial.cs).
    private static void Im2ColCheck(Session s) => Im2ColCases(s, ConvCases);
    private static void Col2ImCheck(Session s) => Col2ImCases(s, ConvCases);
    private static void MaxPoolForwardCheck(Session s) => MaxPoolForwardCases(s, PoolCases);
    private static void MaxPoolBackwardCheck(Session s) => MaxPoolBackwardCases(s, PoolCases);
    private static void AvgPoolForwardCheck(Session s) => AvgPoolForwardCases(s, PoolCases);
    private static void AvgPoolBackwardCheck(Session s) => AvgPoolBackwardCases(s, PoolCases);

    private static string Describe(ConvGeometry g, int batch) =>
        $"batch {batch} C{g.Channels} {g.Height}x{g.Width} k{g.KernelH}x{g.KernelW} s{g.StrideH},{g.StrideW} " +
        $"p{g.PadTop},{g.PadLeft},{g.PadBottom},{g.PadRight} d{g.DilationH},{g.DilationW}";

    private static void SwapCheck(Session s)
    {
        foreach (var (a, b, inner) in new[] { (1, 1, 1), (3, 5, 7), (16, 8, 196), (1, 13, 4), (31, 2, 1) })
            s.Case($"[{a},{b},{inner}]", () =>
            {
                var x = s.Real(s.Uniform(a * b * inner));
                var y = s.Real(a * b * inner);
                s.Ref.SwapLeadingAxes(a, b, inner, x.R, y.R);
                s.Sub.SwapLeadingAxes(a, b, inner, x.S, y.S);
                s.Compare("destination", y);
            });
    }

    private static readonly (PoolGeometry G, int Planes)[] PoolCases =
    [
        (new PoolGeometry(1, 1, 1, 1, 1, 1), 1),
        (new PoolGeometry(28, 28, 2, 2, 2, 2), 6),
        (new PoolGeometry(7, 7, 3, 3, 2, 2, 1, 1, 1, 1), 5),
        (new PoolGeometry(5, 9, 2, 3, 1, 2, 0, 1, 1, 0), 3),
        (new PoolGeometry(2, 3, 2, 2, 2, 2, 0, 0, 3, 1), 2), // last window row lies entirely in padding
        (new PoolGeometry(13, 11, 3, 2, 3, 1), 4),
    ];

    private static string Describe(PoolGeometry g, int planes) =>
        $"{planes} planes {g.Height}x{g.Width} win {g.WindowH}x{g.WindowW} s{g.StrideH},{g.StrideW} p{g.PadTop},{g.PadLeft},{g.PadBottom},{g.PadRight}";

    private static readonly (int Planes, int H, int W, int SH, int SW)[] UpsampleCases =
        [(1, 1, 1, 1, 1), (3, 5, 7, 2, 3), (16, 7, 7, 2, 2), (2, 1, 9, 3, 1), (8, 14, 14, 2, 2)];

    private static void UpsampleForwardCheck(Session s)
    {
        foreach (var (p, h, w, sh, sw) in UpsampleCases)
            s.Case($"{p} planes {h}x{w} x{sh},{sw}", () =>
            {
                var x = s.Real(s.Uniform(p * h * w));
                var y = s.Real(p * h * sh * w * sw);
                s.Ref.UpsampleNearestForward(p, h, w, sh, sw, x.R, y.R);
                s.Sub.UpsampleNearestForward(p, h, w, sh, sw, x.S, y.S);
                s.Compare("y", y);
            });
    }

    private static void UpsampleBackwardCheck(Session s)
    {
        foreach (var (p, h, w, sh, sw) in UpsampleCases)
            s.Case($"{p} planes {h}x{w} x{sh},{sw}", () =>
            {
                var dy = s.Real(s.Uniform(p * h * sh * w * sw));
                var dx = s.Real(p * h * w);
                s.Ref.UpsampleNearestBackward(p, h, w, sh, sw, dy.R, dx.R);
                s.Sub.UpsampleNearestBackward(p, h, w, sh, sw, dy.S, dx.S);
                s.Compare("dx", dx);
            });
    }

    private static void LossCheck(Session s)
    {
        foreach (var kind in Enum.GetValues<LossKind>())
            foreach (int n in new[] { 1, 7, 4099, 100003 })
                foreach (bool gradient in new[] { true, false })
                    foreach (bool accumulate in new[] { false, true })
                    {
                        if (!gradient && accumulate && n < 100) continue;
                        s.Case($"{kind} n={n} gradient={gradient} accumulate={accumulate}", () =>
                        {
                            bool logits = kind == LossKind.BinaryCrossEntropyWithLogits, probabilities = kind == LossKind.BinaryCrossEntropy;
                            var p = s.Real(logits ? s.Uniform(n, -8f, 8f) : probabilities ? Probabilities(s, n) : s.Uniform(n));
                            var t = s.Real(logits || probabilities ? s.Uniform(n, 0f, 1f) : s.Uniform(n));
                            var loss = s.Real(s.Uniform(1, 0.5f, 1.5f));
                            var g = s.Real(n);
                            float scale = 1f / n;
                            s.Ref.Loss(kind, p.R, t.R, scale, loss.R, accumulate, gradient ? g.R : null);
                            s.Sub.Loss(kind, p.S, t.S, scale, loss.S, accumulate, gradient ? g.S : null);
                            s.Compare("loss", loss);
                            // per-element gradients are scaled by 1/n: compare them relative to that scale
                            s.Compare("gradient", g, new Tolerance(s.Tolerance.Absolute * scale, s.Tolerance.Relative));
                        });
                    }
    }

    /// <summary>Every rule with its options (dampening, centred RMSprop, RMSprop momentum, PyTorch's eps and alpha,
    /// weight decay), with the learning rate changing between steps as a schedule would; parameters and every state.</summary>
    private static void OptimizerCheck(Session s)
    {
        OptimizerStep[] variants =
        [
            new(OptimizerKind.Sgd, 0.01, 1),
            new(OptimizerKind.Momentum, 0.01, 1, Momentum: 0.9),
            new(OptimizerKind.Momentum, 0.01, 1, Momentum: 0.8, Dampening: 0.3),
            new(OptimizerKind.Nesterov, 0.01, 1, Momentum: 0.9),
            new(OptimizerKind.RmsProp, 0.01, 1),
            new(OptimizerKind.RmsProp, 0.01, 1, Rho: 0.99, Epsilon: 1e-8, Momentum: 0.5),
            new(OptimizerKind.RmsProp, 0.01, 1, Centered: true),
            new(OptimizerKind.RmsProp, 0.01, 1, Rho: 0.95, Momentum: 0.3, Centered: true),
            new(OptimizerKind.Adam, 0.01, 1),
            new(OptimizerKind.Adam, 0.01, 1, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-8),
            new(OptimizerKind.AdamW, 0.01, 1),
            new(OptimizerKind.AdamW, 0.01, 1, Beta1: 0.85, Beta2: 0.995, Epsilon: 1e-6),
        ];
        foreach (var variant in variants)
            foreach (int n in new[] { 1, 1000, 33333 })
                foreach (double decay in new[] { 0, 0.01 })
                    s.Case($"{variant.Kind} momentum {variant.Momentum} dampening {variant.Dampening} rho {variant.Rho} centered {variant.Centered} " +
                           $"betas {variant.Beta1}/{variant.Beta2} eps {variant.Epsilon} n={n} weight decay {decay}", () =>
                    {
                        var p = s.Real(s.Uniform(n));
                        // state1: a velocity (momentum), a mean square (RMSprop, >= 0) or a first moment (Adam); state2 a second
                        // moment (Adam, >= 0) or RMSprop's momentum buffer; state3 centred RMSprop's mean gradient, |mean| small
                        // enough that the mean square minus its square stays positive
                        var s1 = s.Real(variant.Kind == OptimizerKind.RmsProp ? s.Uniform(n, 0.005f, 0.01f) : s.Uniform(n, -0.1f, 0.1f));
                        var s2 = s.Real(s.Uniform(n, 0f, 0.01f));
                        var s3 = s.Real(s.Uniform(n, -0.05f, 0.05f));
                        for (int step = 1; step <= 3; step++)
                        {
                            var g = s.Real(s.Uniform(n));
                            // steps 1 (SGD's first buffer), 5 and 6, each at another rate
                            var hp = variant with { Step = step == 1 ? 1 : step + 3, LearningRate = 0.01 / step, WeightDecay = decay };
                            s.Ref.OptimizerUpdate(hp, p.R, g.R, s1.R, s2.R, s3.R);
                            s.Sub.OptimizerUpdate(hp, p.S, g.S, s1.S, s2.S, s3.S);
                        }
                        s.Compare("parameters", p);
                        s.Compare("state1", s1);
                        s.Compare("state2", s2);
                        s.Compare("state3", s3);
                    });
    }

    private static void GatherRowsCheck(Session s)
    {
        foreach (var (rows, rowLength, count) in new[] { (1, 1, 1), (100, 17, 37), (300, 784, 256), (5, 3, 12) })
            s.Case($"{count} of {rows} rows x {rowLength}", () =>
            {
                var source = s.Real(s.Uniform(rows * rowLength));
                var index = new int[count];
                for (int i = 0; i < count; i++) index[i] = s.Random.Next(rows);
                var indices = s.Ints(index);
                var destination = s.Real(count * rowLength);
                s.Ref.GatherRows(source.R, rowLength, indices.R, destination.R);
                s.Sub.GatherRows(source.S, rowLength, indices.S, destination.S);
                s.Compare("destination", destination);
            });
    }

    private static void RandomCheck(Session s, RandomDistribution distribution)
    {
        (ulong Seed, ulong Offset)[] streams = [(0, 0), (42, 7), (0xDEADBEEF_00000001, 0xFFFF_FFFE), (ulong.MaxValue, 123_456_789_012)];
        foreach (var (seed, offset) in streams)
            foreach (int n in new[] { 1, 3, 5, 1001, 65539 })
                s.Case($"seed {seed:X} offset {offset} n={n}", () =>
                {
                    var y = s.Real(n);
                    s.Ref.Random(distribution, seed, offset, y.R);
                    s.Sub.Random(distribution, seed, offset, y.S);
                    s.Compare("values", y);
                });
    }

    private static void RandomForStepCheck(Session s)
    {
        foreach (int n in new[] { 1, 7, 784 * 3 + 1 })
            foreach (int step in new[] { 0, 1, 2, 1_000_003 })
                s.Case($"n={n} step={step}", () =>
                {
                    var y = s.Real(n);
                    s.Ref.RandomForStep(RandomDistribution.Normal, 0x5EED, step, y.R);
                    s.Sub.RandomForStep(RandomDistribution.Normal, 0x5EED, step, y.S);
                    s.Compare("y", y);
                });
    }

    private static void SumCheck(Session s)
    {
        foreach (int n in new[] { 1, 7, 64, 65, 4097, 100003, 401408 })
            foreach (bool accumulate in new[] { false, true })
                s.Case($"n={n} accumulate={accumulate}", () =>
                {
                    var x = s.Real(s.Uniform(n));
                    var r = s.Real(s.Uniform(1));
                    s.Ref.Sum(x.R, r.R, accumulate);
                    s.Sub.Sum(x.S, r.S, accumulate);
                    s.Compare("result", r);
                });
    }

    // VAE latents: log-variances from -6 (sd 0.05) to 3 (sd 4.5), ε as wide as a normal sample gets.
    private static (Pair Mean, Pair LogVar, Pair Epsilon) VaeInputs(Session s, int n) =>
        (s.Real(s.Uniform(n, -2f, 2f)), s.Real(s.Uniform(n, -6f, 3f)), s.Real(s.Uniform(n, -3f, 3f)));

    private static void VaeForwardCheck(Session s)
    {
        foreach (int n in Lengths)
            s.Case($"n={n}", () =>
            {
                var (mean, logVar, eps) = VaeInputs(s, n);
                var z = s.Real(n);
                s.Ref.VaeReparameterizeForward(mean.R, logVar.R, eps.R, z.R);
                s.Sub.VaeReparameterizeForward(mean.S, logVar.S, eps.S, z.S);
                s.Compare("z", z);
            });
    }

    private static void VaeBackwardCheck(Session s)
    {
        foreach (int n in new[] { 1, 7, 61, 2560, 4099, 65537 })
            foreach (bool gradient in new[] { true, false })
                foreach (bool accumulate in new[] { false, true })
                {
                    if (!gradient && accumulate && n < 100) continue;
                    s.Case($"n={n} gradient={gradient} accumulate={accumulate}", () =>
                    {
                        var (mean, logVar, eps) = VaeInputs(s, n);
                        var dz = s.Real(s.Uniform(n));
                        var loss = s.Real(s.Uniform(1, 0.5f, 1.5f));
                        var dMean = s.Real(n);
                        var dLogVar = s.Real(n);
                        const float klScale = 0.75f / 128;   // beta 0.75, batch 128
                        s.Ref.VaeReparameterizeBackward(mean.R, logVar.R, eps.R, klScale, loss.R, accumulate,
                            gradient ? new VaeGradients(dz.R, dMean.R, dLogVar.R) : null);
                        s.Sub.VaeReparameterizeBackward(mean.S, logVar.S, eps.S, klScale, loss.S, accumulate,
                            gradient ? new VaeGradients(dz.S, dMean.S, dLogVar.S) : null);
                        s.Compare("loss", loss);
                        s.Compare("dMean", dMean, Transcendental);
                        s.Compare("dLogVar", dLogVar, Transcendental);
                    });
                }
    }

    private static void RowSumsCheck(Session s)
    {
        foreach (var (rows, cols) in new[] { (1, 1), (7, 13), (16, 100352), (300, 3), (8, 12544) })
            s.Case($"{rows}x{cols}", () =>
            {
                var x = s.Real(s.Uniform(rows * cols));
                var r = s.Real(rows);
                s.Ref.RowSums(rows, cols, x.R, r.R);
                s.Sub.RowSums(rows, cols, x.S, r.S);
                s.Compare("result", r);
            });
    }

    // Code shapes (batch, units): single unit, primes, more units than the 64 work-groups (a group then owns several).
    private static readonly (int Batch, int Units)[] CodeShapes = [(1, 1), (7, 3), (13, 61), (256, 32), (5, 67), (3, 131)];

    private static void ActivityPenaltyCheck(Session s)
    {
        foreach (var kind in Enum.GetValues<ActivityPenaltyKind>())
            foreach (var (batch, units) in CodeShapes)
                foreach (bool gradient in new[] { true, false })
                    s.Case($"{kind} batch={batch} units={units} gradient={gradient}", () =>
                    {
                        int n = batch * units;
                        // KL sparsity takes a sigmoid code (0, 1), with a dead unit 0 where there are several (the clamp); L1 any sign
                        bool kl = kind == ActivityPenaltyKind.KlSparsity;
                        var code = kl ? s.Uniform(n, 0.02f, 0.98f) : s.Uniform(n);
                        if (kl && units > 1) for (int b = 0; b < batch; b++) code[b * units] = 0f;
                        var h = s.Real(code);
                        var loss = s.Real(s.Uniform(1, 0.5f, 1.5f));
                        var dh = s.Real(s.Uniform(n));   // accumulates onto the gradient from above
                        s.Ref.ActivityPenalty(kind, batch, units, h.R, 0.37f, 0.1f, loss.R, gradient ? dh.R : null);
                        s.Sub.ActivityPenalty(kind, batch, units, h.S, 0.37f, 0.1f, loss.S, gradient ? dh.S : null);
                        s.Compare("loss", loss);
                        s.Compare("dh", dh);
                    });
    }

    private static void ContractivePenaltyCheck(Session s)
    {
        (int Batch, int Units, int Inputs)[] shapes = [(1, 1, 1), (7, 3, 5), (13, 61, 17), (64, 67, 131), (256, 32, 784)];
        foreach (var activation in new[] { Activation.Sigmoid, Activation.Relu })
            foreach (var (batch, units, inputs) in shapes)
                foreach (var outputs in new[] { "loss+dh+dW", "loss+dh", "dW" })
                    s.Case($"{activation} batch={batch} units={units} inputs={inputs} {outputs}", () =>
                    {
                        int n = batch * units, w = units * inputs;
                        var code = activation == Activation.Sigmoid ? s.Uniform(n, 0.01f, 0.99f) : s.Uniform(n);
                        if (activation == Activation.Relu) for (int i = 0; i < n; i++) code[i] = Math.Max(0f, code[i]);
                        var h = s.Real(code);
                        var weight = s.Real(s.Uniform(w));
                        var loss = s.Real(s.Uniform(1, 0.5f, 1.5f));
                        var dh = s.Real(s.Uniform(n));
                        var dw = s.Real(s.Uniform(w));
                        bool withLoss = outputs.Contains("loss"), withDh = outputs.Contains("dh"), withDw = outputs.Contains("dW");
                        s.Ref.ContractivePenalty(activation, batch, units, inputs, h.R, weight.R, 0.3f,
                            withLoss ? loss.R : null, withDh ? dh.R : null, withDw ? dw.R : null);
                        s.Sub.ContractivePenalty(activation, batch, units, inputs, h.S, weight.S, 0.3f,
                            withLoss ? loss.S : null, withDh ? dh.S : null, withDw ? dw.S : null);
                        s.Compare("loss", loss);
                        s.Compare("dh", dh);
                        s.Compare("dWeight", dw);
                    });
    }
}

// Times each non-conv CPU kernel through the public IBackend API at the shapes of the dense32 (batch 256) and conv
// (batch 128) presets: min / median wall time per call over the repetitions, process CPU time per call, and a hash of
// the output bits, so two builds can be compared for speed and for identical results.
// Usage: dotnet run -c Release --project benchmarks/cpu-kernels -p:NvccExe=/nonexistent -- [name filter] [repetitions]
using System.Diagnostics;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;

var be = new CpuBackend();
var rng = new System.Random(1);
DeviceBuffer Buf(long n, float lo = -1, float hi = 1) { var b = be.Allocate(n); var d = new float[n]; for (long i = 0; i < n; i++) d[i] = lo + (hi - lo) * (float)rng.NextDouble(); be.Upload(b.All, d); return b; }
DeviceBuffer IBuf(int n, int max) { var b = be.Allocate(n, ElementType.Int32); var d = new int[n]; for (int i = 0; i < n; i++) d[i] = rng.Next(max); be.Upload(b.All, d); return b; }
ulong Hash(DeviceBuffer b) { var d = new float[b.Length]; be.Download(b.All, d); ulong h = 1469598103934665603; foreach (var f in d) { h ^= BitConverter.SingleToUInt32Bits(f); h *= 1099511628211; } return h; }
ulong HashI(DeviceBuffer b) { var d = new int[b.Length]; be.Download(b.All, d); ulong h = 1469598103934665603; foreach (var f in d) { h ^= (uint)f; h *= 1099511628211; } return h; }
string filter = args.Length > 0 ? args[0] : "";
int reps = args.Length > 1 ? int.Parse(args[1]) : 200;
void Bench(string name, Action run, Func<string> check)
{
    if (!name.Contains(filter)) return;
    for (int i = 0; i < 5; i++) run();
    var times = new double[reps];
    var proc = Process.GetCurrentProcess(); var cpu0 = proc.TotalProcessorTime;
    for (int i = 0; i < reps; i++) { long t = Stopwatch.GetTimestamp(); run(); times[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds; }
    proc.Refresh(); var cpu = (proc.TotalProcessorTime - cpu0).TotalMicroseconds / reps;
    Array.Sort(times);
    Console.WriteLine($"{name,-34} min {times[0],8:F1} us  p25 {times[reps / 4],8:F1} us  median {times[reps / 2],8:F1} us  cpu/call {cpu,8:F1} us  {check()}");
}
// dense32 shapes
int B = 256, D = 784, H = 32;
var images = Buf(60000L * D, 0, 1); var order = IBuf(B, 60000); var xb = be.Allocate(B * D);
Bench("gather 256x784", () => be.GatherRows(images.All, D, order.All, xb.All), () => Hash(xb).ToString("x"));
{
    // deep-rmsprop's first layer: gather 256 images and multiply by the 512x784 weights (a fresh batch every call)
    var gw = Buf(512L * D); var gbias = Buf(512); var gy = be.Allocate(B * 512L); var orders = new int[B];
    Bench("gather+gemm 256x512x784 NT relu", () =>
    {
        for (int i = 0; i < B; i++) orders[i] = rng.Next(60000);
        be.Upload(order.All, orders);
        be.GemmGatherRows(Transpose.Yes, B, 512, D, images.All, order.All, xb.All, gw.All, D, gy.All, 512, BiasMode.PerColumn, gbias.All, Activation.Relu);
    }, () => "");
    // the same after an optimizer step over the weights, as in training (the update leaves them in both cores' caches)
    var gwg = Buf(512L * D, -1e-3f, 1e-3f); var gws = be.Allocate(512L * D);
    Bench("rmsprop 401408", () => be.OptimizerUpdate(new OptimizerStep(OptimizerKind.RmsProp, 1e-3, 1), gw.All, gwg.All, gws.All, gws.All), () => "");
    Bench("rmsprop 401408 + gather+gemm", () =>
    {
        be.OptimizerUpdate(new OptimizerStep(OptimizerKind.RmsProp, 1e-3, 1), gw.All, gwg.All, gws.All, gws.All);
        for (int i = 0; i < B; i++) orders[i] = rng.Next(60000);
        be.Upload(order.All, orders);
        be.GemmGatherRows(Transpose.Yes, B, 512, D, images.All, order.All, xb.All, gw.All, D, gy.All, 512, BiasMode.PerColumn, gbias.All, Activation.Relu);
    }, () => "");
}
var z = Buf(B * D, -6, 6); var t = Buf(B * D, 0, 1); var g = be.Allocate(B * D); var loss = be.Allocate(1);
Bench("bce_logits 256x784", () => be.Loss(LossKind.BinaryCrossEntropyWithLogits, z.All, t.All, 1f / (B * D), loss.All, false, g.All), () => Hash(g).ToString("x") + " " + Hash(loss).ToString("x"));
var pr = Buf(B * D, 0.001f, 0.999f);
Bench("bce_prob 256x784", () => be.Loss(LossKind.BinaryCrossEntropy, pr.All, t.All, 1f / (B * D), loss.All, false, g.All), () => Hash(g).ToString("x") + " " + Hash(loss).ToString("x"));
Bench("mse 256x784", () => be.Loss(LossKind.SquaredError, z.All, t.All, 1f / (B * D), loss.All, false, g.All), () => Hash(g).ToString("x") + " " + Hash(loss).ToString("x"));
var p = Buf(50992, -0.1f, 0.1f); var pg = Buf(50992, -0.01f, 0.01f); var s1 = Buf(50992, -0.01f, 0.01f); var s2 = Buf(50992, 0, 0.001f);
int step = 1;
Bench("adam 50992", () => be.OptimizerUpdate(new OptimizerStep(OptimizerKind.Adam, 1e-3, step++), p.All, pg.All, s1.All, s2.All), () => Hash(p).ToString("x"));
var p4 = Buf(419120, -0.1f, 0.1f); var pg4 = Buf(419120, -0.01f, 0.01f); var m4 = Buf(419120, -0.01f, 0.01f); var v4 = Buf(419120, 0, 0.001f);
int step4 = 1;
Bench("adam 419120", () => be.OptimizerUpdate(new OptimizerStep(OptimizerKind.Adam, 1e-3, step4++), p4.All, pg4.All, m4.All, v4.All), () => Hash(p4).ToString("x"));
var rp = Buf(50992, -0.1f, 0.1f);
Bench("rmsprop 50992", () => be.OptimizerUpdate(new OptimizerStep(OptimizerKind.RmsProp, 1e-3, 1), rp.All, pg.All, s2.All, s1.All), () => Hash(rp).ToString("x"));
var dyD = Buf(B * D); var db = be.Allocate(D);
Bench("biasgrad col 256x784", () => be.BiasGradient(BiasMode.PerColumn, B, D, dyD.All, db.All, false), () => Hash(db).ToString("x"));
var h = Buf(B * H, 0, 2); var dh = Buf(B * H); var dx = be.Allocate(B * H);
Bench("relu backward 256x32", () => be.ActivationBackward(Activation.Relu, ActivationParameters.Default, h.All, dh.All, dx.All), () => Hash(dx).ToString("x"));
var w1 = Buf(D * H, -0.05f, 0.05f); var b1 = Buf(H); var c1 = be.Allocate(B * H);
Bench("gemm+bias+relu 256x32x784", () => be.Gemm(Transpose.No, Transpose.Yes, B, H, D, 1, xb.All, D, w1.All, D, 0, c1.All, H, BiasMode.PerColumn, b1.All, Activation.Relu), () => Hash(c1).ToString("x"));
var b2 = Buf(D); var c2 = be.Allocate(B * D);
Bench("gemm+bias 256x784x32", () => be.Gemm(Transpose.No, Transpose.No, B, D, H, 1, c1.All, H, w1.All, D, 0, c2.All, D, BiasMode.PerColumn, b2.All, Activation.Linear), () => Hash(c2).ToString("x"));
var sg = Buf(B * D, 0.01f, 0.99f); var sdx = be.Allocate(B * D);
Bench("sigmoid backward 256x784", () => be.ActivationBackward(Activation.Sigmoid, ActivationParameters.Default, sg.All, dyD.All, sdx.All), () => Hash(sdx).ToString("x"));
// one dense32 training step's kernels in order (GEMMs between the fork-join kernels: their interplay with OpenBLAS's threads)
{
    var w2 = Buf(H * D, -0.05f, 0.05f); var dh1 = be.Allocate(B * H); var dw1 = be.Allocate(D * H); var dw2 = be.Allocate(H * D);
    var pp = Buf(50992, -0.1f, 0.1f); var ps1 = Buf(50992, -0.01f, 0.01f); var ps2 = Buf(50992, 0, 0.001f); int st = 1;
    Bench("dense32 step (kernel sequence)", () =>
    {
        be.GatherRows(images.All, D, order.All, xb.All);
        be.Gemm(Transpose.No, Transpose.Yes, B, H, D, 1, xb.All, D, w1.All, D, 0, c1.All, H, BiasMode.PerColumn, b1.All, Activation.Relu);
        be.Gemm(Transpose.No, Transpose.No, B, D, H, 1, c1.All, H, w2.All, D, 0, c2.All, D, BiasMode.PerColumn, b2.All, Activation.Linear);
        be.Loss(LossKind.BinaryCrossEntropyWithLogits, c2.All, xb.All, 1f / (B * D), loss.All, true, g.All);
        be.Gemm(Transpose.Yes, Transpose.No, H, D, B, 1, c1.All, H, g.All, D, 0, dw2.All, D);
        be.BiasGradient(BiasMode.PerColumn, B, D, g.All, b2.All, false);
        be.Gemm(Transpose.No, Transpose.Yes, B, H, D, 1, g.All, D, w2.All, D, 0, dh1.All, H);
        be.ActivationBackward(Activation.Relu, ActivationParameters.Default, c1.All, dh1.All, dh1.All);
        be.Gemm(Transpose.Yes, Transpose.No, D, H, B, 1, xb.All, D, dh1.All, H, 0, dw1.All, H);
        be.OptimizerUpdate(new OptimizerStep(OptimizerKind.Adam, 1e-3, st++), pp.All, pg.All, ps1.All, ps2.All);
    }, () => Hash(pp).ToString("x"));
    if ("dense32 breakdown".Contains(filter))
    {
        // the same sequence, each kernel timed in place (mean us per call over the repetitions)
        var names = new[] { "gather", "gemm fwd1", "gemm fwd2", "loss", "loss again", "gemm dW2", "db2", "gemm dx2", "relu bwd", "gemm dW1", "adam" };
        var acts = new Action[]
        {
            () => be.GatherRows(images.All, D, order.All, xb.All),
            () => be.Gemm(Transpose.No, Transpose.Yes, B, H, D, 1, xb.All, D, w1.All, D, 0, c1.All, H, BiasMode.PerColumn, b1.All, Activation.Relu),
            () => be.Gemm(Transpose.No, Transpose.No, B, D, H, 1, c1.All, H, w2.All, D, 0, c2.All, D, BiasMode.PerColumn, b2.All, Activation.Linear),
            () => be.Loss(LossKind.BinaryCrossEntropyWithLogits, c2.All, xb.All, 1f / (B * D), loss.All, true, g.All),
            () => be.Loss(LossKind.BinaryCrossEntropyWithLogits, c2.All, xb.All, 1f / (B * D), loss.All, true, g.All),
            () => be.Gemm(Transpose.Yes, Transpose.No, H, D, B, 1, c1.All, H, g.All, D, 0, dw2.All, D),
            () => be.BiasGradient(BiasMode.PerColumn, B, D, g.All, b2.All, false),
            () => be.Gemm(Transpose.No, Transpose.Yes, B, H, D, 1, g.All, D, w2.All, D, 0, dh1.All, H),
            () => be.ActivationBackward(Activation.Relu, ActivationParameters.Default, c1.All, dh1.All, dh1.All),
            () => be.Gemm(Transpose.Yes, Transpose.No, D, H, B, 1, xb.All, D, dh1.All, H, 0, dw1.All, H),
            () => be.OptimizerUpdate(new OptimizerStep(OptimizerKind.Adam, 1e-3, st++), pp.All, pg.All, ps1.All, ps2.All),
        };
        var total = new double[acts.Length];
        for (int rep = 0; rep < reps + 5; rep++)
            for (int k = 0; k < acts.Length; k++)
            {
                long t0 = Stopwatch.GetTimestamp(); acts[k]();
                if (rep >= 5) total[k] += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
        for (int k = 0; k < acts.Length; k++) Console.WriteLine($"  dense32 breakdown {names[k],-10} mean {total[k] / reps,8:F1} us");
        Console.WriteLine($"  dense32 breakdown {"sum",-10} mean {total.Sum() / reps,8:F1} us");
    }
}
// deep-rmsprop's GEMM chain (784-512-256-128-64-32 mirrored, batch 256) kernel by kernel, in order, with and without an
// RMSprop step over the flat weights between steps: each GEMM in place vs the same GEMM alone shows what the step's
// data movement costs (weights last written by the optimizer on both cores, activations by the previous layer)
if ("deep chain".Contains(filter) || filter == "deep chain optimizer")
{
    int[] dims = [784, 512, 256, 128, 64, 32, 64, 128, 256, 512, 784];
    int layers = dims.Length - 1;
    long paramCount = 0; var wOffset = new long[layers];
    for (int i = 0; i < layers; i++) { wOffset[i] = paramCount; paramCount += (long)dims[i] * dims[i + 1]; }
    var wAll = Buf(paramCount, -0.05f, 0.05f); var gAll = Buf(paramCount, -1e-3f, 1e-3f); var sAll = be.Allocate(paramCount);
    var acts = Enumerable.Range(0, dims.Length).Select(i => Buf((long)B * dims[i], 0, 1)).ToArray();
    var grads = Enumerable.Range(0, dims.Length).Select(i => Buf((long)B * dims[i], -1, 1)).ToArray();
    BufferView W(int i) => wAll.All.Slice(wOffset[i], (long)dims[i] * dims[i + 1]);
    BufferView G(int i) => gAll.All.Slice(wOffset[i], (long)dims[i] * dims[i + 1]);
    var steps = new List<(string Name, Action Run)>();
    for (int i = 0; i < layers; i++)
    {
        int l = i, inputs = dims[i], units = dims[i + 1];
        steps.Add(($"fwd {inputs}->{units}", () => be.Gemm(Transpose.No, Transpose.Yes, B, units, inputs, 1, acts[l].All, inputs, W(l), inputs, 0, acts[l + 1].All, units)));
    }
    for (int i = layers - 1; i >= 0; i--)
    {
        int l = i, inputs = dims[i], units = dims[i + 1];
        steps.Add(($"dW {units}x{inputs}", () => be.Gemm(Transpose.Yes, Transpose.No, units, inputs, B, 1, grads[l + 1].All, units, acts[l].All, inputs, 0, G(l), inputs)));
        if (l > 0) steps.Add(($"dx {inputs}<-{units}", () => be.Gemm(Transpose.No, Transpose.No, B, inputs, units, 1, grads[l + 1].All, units, W(l), inputs, 0, grads[l].All, inputs)));
    }
    bool withOptimizer = filter == "deep chain optimizer";
    if (withOptimizer) steps.Add(("rmsprop", () => be.OptimizerUpdate(new OptimizerStep(OptimizerKind.RmsProp, 1e-6, 1), wAll.All, gAll.All, sAll.All, sAll.All)));
    var inPlace = new double[steps.Count]; var alone = new double[steps.Count];
    for (int rep = 0; rep < reps + 5; rep++)
        for (int k = 0; k < steps.Count; k++)
        {
            long t0 = Stopwatch.GetTimestamp(); steps[k].Run();
            if (rep >= 5) inPlace[k] += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
    for (int k = 0; k < steps.Count; k++)
    {
        for (int rep = 0; rep < 5; rep++) steps[k].Run();
        long t0 = Stopwatch.GetTimestamp();
        for (int rep = 0; rep < reps; rep++) steps[k].Run();
        alone[k] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
    }
    for (int k = 0; k < steps.Count; k++)
        Console.WriteLine($"  deep chain {steps[k].Name,-14} in step {inPlace[k] / reps,8:F1} us  alone {alone[k] / reps,8:F1} us");
    Console.WriteLine($"  deep chain {"sum",-14} in step {inPlace.Sum() / reps,8:F1} us  alone {alone.Sum() / reps,8:F1} us  ({(withOptimizer ? "with" : "without")} the optimizer)");
}
// the dense presets' GEMM shapes (GPUAE_CPU_GEMM picks the provider) (m, n, k, transA, transB), each timed alone
foreach (var (gm, gn, gk, ta, tb) in new[] { (64, 256, 784, false, true), (64, 784, 256, false, true), (784, 256, 64, true, false), (64, 256, 784, false, false),
    (256, 784, 64, true, false), (64, 32, 256, false, true), (256, 32, 784, false, true), (256, 784, 32, false, true), (32, 784, 256, true, false), (784, 32, 256, true, false), (256, 32, 784, false, false),
    // deep-rmsprop's largest (784-512-256 mirrored, batch 256)
    (256, 512, 784, false, true), (256, 784, 512, false, true), (512, 784, 256, true, false), (784, 512, 256, true, false), (256, 784, 512, false, false),
    (256, 256, 512, false, true), (256, 512, 256, false, false) })
{
    var ga = Buf((long)gm * gk); var gb = Buf((long)gk * gn); var gc = be.Allocate((long)gm * gn);
    Bench($"gemmshape {gm}x{gn}x{gk} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}", () => be.Gemm(ta ? Transpose.Yes : Transpose.No, tb ? Transpose.Yes : Transpose.No, gm, gn, gk, 1, ga.All, ta ? gm : gk, gb.All, tb ? gk : gn, 0, gc.All, gn), () => "");
}
// conv shapes (batch 128)
int N = 128;
foreach (var (c, hw) in new[] { (16, 28), (8, 14), (8, 7) })
{
    var pg2 = new PoolGeometry(hw, hw, 2, 2, 2, 2, 0, 0, hw % 2, hw % 2);
    int planes = N * c; var px = Buf((long)planes * hw * hw); var py = be.Allocate((long)planes * pg2.OutHeight * pg2.OutWidth);
    var am = be.Allocate((long)planes * pg2.OutHeight * pg2.OutWidth, ElementType.Int32); var pdx = be.Allocate((long)planes * hw * hw);
    Bench($"maxpool fwd {c}x{hw}", () => be.MaxPoolForward(pg2, planes, px.All, py.All, am.All), () => Hash(py).ToString("x") + " " + HashI(am).ToString("x"));
    Bench($"maxpool bwd {c}x{hw}", () => be.MaxPoolBackward(pg2, planes, py.All, am.All, pdx.All), () => Hash(pdx).ToString("x"));
    Bench($"avgpool fwd {c}x{hw}", () => be.AvgPoolForward(pg2, planes, px.All, py.All), () => Hash(py).ToString("x"));
    Bench($"avgpool bwd {c}x{hw}", () => be.AvgPoolBackward(pg2, planes, py.All, pdx.All), () => Hash(pdx).ToString("x"));
}
foreach (var (c, hw) in new[] { (8, 4), (8, 8), (16, 14) })
{
    int planes = N * c; var ux = Buf((long)planes * hw * hw); var uy = Buf((long)planes * hw * hw * 4); var udx = be.Allocate((long)planes * hw * hw);
    Bench($"nearest fwd {c}x{hw}", () => be.UpsampleNearestForward(planes, hw, hw, 2, 2, ux.All, uy.All), () => Hash(uy).ToString("x"));
    Bench($"nearest bwd {c}x{hw}", () => be.UpsampleNearestBackward(planes, hw, hw, 2, 2, uy.All, udx.All), () => Hash(udx).ToString("x"));
    Bench($"bilinear fwd {c}x{hw}", () => be.UpsampleBilinearForward(planes, hw, hw, 2 * hw, 2 * hw, false, ux.All, uy.All), () => Hash(uy).ToString("x"));
    Bench($"bilinear bwd {c}x{hw}", () => be.UpsampleBilinearBackward(planes, hw, hw, 2 * hw, 2 * hw, false, uy.All, udx.All), () => Hash(udx).ToString("x"));
}
{
    int planes = N * 16, plane = 784; var cx = Buf((long)planes * plane); var cb = Buf(16); var cy = be.Allocate((long)planes * plane);
    Bench("chanbias relu 16x28x28", () => be.ChannelBiasActivation(Activation.Relu, N, 16, plane, cx.All, cb.All, cy.All), () => Hash(cy).ToString("x"));
    Bench("chanbias sigmoid 1x28x28", () => be.ChannelBiasActivation(Activation.Sigmoid, N, 1, plane, cx.All, cb.All, cy.All), () => Hash(cy).ToString("x"));
    var ry = Buf((long)planes * plane, -1, 1); var rdx = be.Allocate((long)planes * plane);
    Bench("relu backward 16x28x28", () => be.ActivationBackward(Activation.Relu, ActivationParameters.Default, ry.All, cx.All, rdx.All), () => Hash(rdx).ToString("x"));
    var rb = be.Allocate(16 * N);
    Bench("rowsums 2048x784", () => be.RowSums(planes, plane, cx.All, rb.All), () => Hash(rb).ToString("x"));
    var sum = be.Allocate(1);
    Bench("sum 1.6M", () => be.Sum(cx.All, sum.All, false), () => Hash(sum).ToString("x"));
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Training;

namespace GpuAe.Tests.Autodiff;

/// <summary>
/// Central-difference gradient checks in float64 on the CPU backend: the analytic gradients that a
/// layer's backward rule produces (through the real graph, planner and executor) against
/// (L(θ+h) - L(θ-h)) / 2h of L = Σ (y - t)² for a random target t.
/// </summary>
internal static class GradientChecker
{
    private const double Step = 1e-6, Abs = 1e-7, Rel = 1e-5;

    /// <summary>Emits a layer's forward steps; <c>loss</c> is the checked loss's accumulator, for layers that add a
    /// term of their own to it in their backward steps (a VAE's KL).</summary>
    public delegate LayerOutput Forward(GraphBuilder graph, Layer layer, Tensor x, ParameterStore parameters, Tensor loss);

    /// <param name="convolution">The CPU backend's convolution path ("direct", "im2col"; null: its default).</param>
    public static void CheckLayer(Func<Shape, Layer> make, Shape sampleShape, int batch, int seed = 1, Forward? forward = null,
        string? convolution = null)
    {
        using var backend = new CpuBackend<double>("managed", convolution);
        var layer = make(sampleShape);
        using var store = new ParameterStore(backend, layer.Parameters);
        store.Initialize((ulong)seed);
        var rng = new System.Random(seed);
        // Perturb biases away from zero so ReLU-style kinks are not sat on by every unit.
        var values = new double[store.Length];
        backend.Download(store.Values.All, values);
        for (int i = 0; i < values.Length; i++) values[i] += 0.1 * (rng.NextDouble() - 0.5);
        backend.Upload(store.Values.All, values);

        var inputShape = sampleShape.WithBatch(batch);
        using var xBuffer = backend.Allocate(inputShape.ElementCount);
        backend.Upload(xBuffer.All, RandomArray(rng, inputShape.ElementCount));
        var g = new GraphBuilder(backend);
        var x = g.External("x", inputShape, xBuffer.All);
        using var lossBuffer = backend.Allocate(1);
        var loss = g.External("loss", new Shape(1), lossBuffer.All);
        var output = forward is null ? layer.Forward(g, x, store) : forward(g, layer, x, store, loss);
        var y = output.Output;
        using var targetBuffer = backend.Allocate(y.Length);
        backend.Upload(targetBuffer.All, RandomArray(rng, y.Length));
        var target = g.External("target", y.Shape, targetBuffer.All);
        var dy = g.Planned("dy", y.Shape);
        g.Add("loss", [y, target], [dy, loss], r =>
        {
            BufferView yv = r[y], tv = r[target], gv = r[dy], lv = r[loss];
            return () => backend.Loss(LossKind.SquaredError, yv, tv, 1f, lv, false, gv);
        });
        var dx = output.Backward?.Invoke(g, dy, needInputGradient: true);
        if (dx is not null) dx.IsOutput = true;
        using var plan = new ExecutionPlan(g);
        plan.Run();

        var analyticParams = new double[store.Length];
        backend.Download(store.Gradients.All, analyticParams);
        var analyticInput = new double[x.Length];
        if (dx is not null) backend.Download(plan[dx], analyticInput);

        double Loss()
        {
            plan.Run();
            var l = new double[1];
            backend.Download(lossBuffer.All, l);
            return l[0];
        }

        foreach (var entry in store.Entries)
            Compare($"{layer.Name} d/d{entry.Decl.Name}", store.Values.Slice(entry.Offset, entry.Length),
                analyticParams.AsSpan((int)entry.Offset, (int)entry.Length).ToArray(), backend, Loss);
        if (dx is not null)
            Compare($"{layer.Name} d/dx", xBuffer.All, analyticInput, backend, Loss);
    }

    /// <summary>Compares every element (or a spread sample of 60 for large tensors) with the central difference.</summary>
    public static void Compare(string what, BufferView values, double[] analytic, IBackend backend, Func<double> loss)
    {
        var host = new double[values.Length];
        backend.Download(values, host);
        int count = (int)values.Length, stride = Math.Max(1, count / 60);
        for (int i = 0; i < count; i += stride)
        {
            double saved = host[i];
            host[i] = saved + Step; backend.Upload(values, host); double up = loss();
            host[i] = saved - Step; backend.Upload(values, host); double down = loss();
            host[i] = saved; backend.Upload(values, host);
            double numeric = (up - down) / (2 * Step);
            double tolerance = Abs + Rel * Math.Abs(numeric);
            Assert.True(Math.Abs(analytic[i] - numeric) <= tolerance,
                $"{what}[{i}]: analytic {analytic[i]:R} vs numeric {numeric:R} (tolerance {tolerance:E2} = {Abs} + {Rel}*|numeric|)");
        }
    }

    public static double[] RandomArray(System.Random rng, long length)
    {
        var a = new double[length];
        for (long i = 0; i < length; i++) a[i] = rng.NextDouble() * 2 - 1;
        return a;
    }
}

using System.Text.Json;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Conformance;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Autodiff;

/// <summary>
/// The standalone activation layer (parameters), BCE on probabilities and the loss reductions: float64 gradient checks,
/// and the values against PyTorch 1.13 (tests/GpuAe.Tests/Fixtures/torch_activation_oracle.json, written by
/// benchmarks/compare/torch_activation_oracle.py).
/// </summary>
public class ActivationLossTests
{
    public static TheoryData<Activation, float, float, float, float> ParameterisedActivations()
    {
        var data = new TheoryData<Activation, float, float, float, float>();
        foreach (var activation in Enum.GetValues<Activation>())
            data.Add(activation, 0.01f, 1f, 1f, 20f);
        data.Add(Activation.LeakyRelu, 0.2f, 1f, 1f, 20f);
        data.Add(Activation.LeakyRelu, 0f, 1f, 1f, 20f);
        data.Add(Activation.Elu, 0.01f, 0.5f, 1f, 20f);
        data.Add(Activation.Elu, 0.01f, 2.5f, 1f, 20f);
        data.Add(Activation.Softplus, 0.01f, 1f, 2f, 10f);
        data.Add(Activation.Softplus, 0.01f, 1f, 0.5f, 30f);
        return data;
    }

    [Theory]
    [MemberData(nameof(ParameterisedActivations))]
    public void Activation_layer_gradient_checks_in_float64(Activation activation, float slope, float alpha, float beta, float threshold)
    {
        var parameters = new ActivationParameters(slope, alpha, beta, threshold);
        GradientChecker.CheckLayer(s => new ActivationLayer("act", s, activation, parameters), new Shape(3, 5, 7), batch: 2);
        GradientChecker.CheckLayer(s => new ActivationLayer("act", s, activation, parameters), new Shape(1), batch: 1, seed: 2);
    }

    [Fact]
    public void Bce_on_probabilities_gradient_checks_in_float64()
    {
        using var backend = new CpuBackend<double>("managed");
        var random = new System.Random(11);
        int n = 37;
        double[] p = Enumerable.Range(0, n).Select(_ => 0.02 + 0.96 * random.NextDouble()).ToArray();
        double[] t = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? random.NextDouble() : i % 3).Select(v => Math.Min(v, 1)).ToArray();
        using var pb = backend.Allocate(n);
        using var tb = backend.Allocate(n);
        using var loss = backend.Allocate(1);
        using var gradient = backend.Allocate(n);
        backend.Upload(pb.All, p);
        backend.Upload(tb.All, t);
        double scale = 1.0 / n;
        backend.Loss(LossKind.BinaryCrossEntropy, pb.All, tb.All, (float)scale, loss.All, false, gradient.All);
        var analytic = new double[n];
        backend.Download(gradient.All, analytic);
        GradientChecker.Compare("bce(p) d/dp", pb.All, analytic, backend, () =>
        {
            backend.Loss(LossKind.BinaryCrossEntropy, pb.All, tb.All, (float)scale, loss.All, false, null);
            var l = new double[1];
            backend.Download(loss.All, l);
            return l[0];
        });
    }

    [Theory]
    [InlineData(ReconstructionLoss.BinaryCrossEntropyOnProbabilities)]
    [InlineData(ReconstructionLoss.BinaryCrossEntropy)]
    [InlineData(ReconstructionLoss.MeanSquaredError)]
    [InlineData(ReconstructionLoss.MeanAbsoluteError)]
    public void Sum_reduction_gradients_are_batch_times_pixels_times_the_mean_ones(ReconstructionLoss loss)
    {
        const int batch = 5, pixels = 12;
        var mean = Gradients(Model(loss, null), batch);
        Assert.Equal(mean, Gradients(Model(loss, LossReduction.Mean), batch));
        var sum = Gradients(Model(loss, LossReduction.Sum), batch);
        Assert.Contains(mean, v => Math.Abs(v) > 1e-6);
        for (int i = 0; i < mean.Length; i++)
            Assert.True(Math.Abs(sum[i] - batch * pixels * mean[i]) <= 1e-12 + 1e-6 * Math.Abs(sum[i]), $"gradient {i}: sum {sum[i]}, mean {mean[i]}");
    }

    // the loss scales are floats (1/60 vs 1/5 then x5): the ratio holds to float32 rounding
    /// <summary>A small model whose output ends in a standalone sigmoid layer (folded into BCE on logits, kept for the others).</summary>
    private static ModelSpec Model(ReconstructionLoss loss, LossReduction? reduction) =>
        new ModelBuilder("tiny", 12).Dense(4, Activation.Tanh).ActivationLayer(Activation.Elu, alpha: 0.7f).Code()
            .Dense(12, Activation.Linear).ActivationLayer(Activation.Sigmoid).Build(loss, reduction);

    private static double[] Gradients(ModelSpec spec, int batch)
    {
        using var backend = new CpuBackend<double>("managed");
        using var network = new Network(backend, spec);
        network.Parameters.Initialize(3);
        var random = new System.Random(8);
        var images = Enumerable.Range(0, batch * 12).Select(_ => random.NextSingle()).ToArray();
        using var data = new DeviceDataset(backend, new GpuAe.Data.Dataset("tiny", images, batch, 1, 1, 12));
        data.SetOrder(Enumerable.Range(0, batch).ToArray());
        var inputs = PlanInputs.Of(data);
        using var accumulators = backend.Allocate(3);
        using var plan = network.BuildPlan(PlanKind.Gradient, batch, inputs, accumulators.All);
        plan.Plan.Run();
        var gradients = new double[network.Parameters.Gradients.Length];
        backend.Download(network.Parameters.Gradients.All, gradients);
        return gradients;
    }

    // ---- PyTorch's values -------------------------------------------------------------------------

    private static JsonElement Oracle()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GpuAe.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "tests", "GpuAe.Tests", "Fixtures", "torch_activation_oracle.json"))).RootElement;
    }

    private static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static (Activation, ActivationParameters) CaseOf(JsonElement c) =>
        (Enum.Parse<Activation>(c.GetProperty("activation").GetString()!.Replace("_", ""), ignoreCase: true),
         new ActivationParameters((float)c.GetProperty("negative_slope").GetDouble(), (float)c.GetProperty("alpha").GetDouble(),
             (float)c.GetProperty("beta").GetDouble(), (float)c.GetProperty("threshold").GetDouble()));

    [Fact]
    public void Float64_reference_formulas_match_pytorch_float64()
    {
        var cases = Oracle().GetProperty("activations").EnumerateArray().ToArray();
        Assert.Equal(13, cases.Length);
        foreach (var c in cases)
        {
            var (activation, p) = CaseOf(c);
            double[] x = Doubles(c, "x"), y = Doubles(c, "y_float64"), dx = Doubles(c, "dx_float64");
            Assert.Equal(ConformanceSuite.ExtremeInputs.Select(v => (double)v), x);
            for (int i = 0; i < x.Length; i++)
            {
                // the parameters are float32 here (0.01f), PyTorch's Python floats: 2e-7 relative
                Close(y[i], ActivationReference.Forward(activation, p, x[i]), 1e-300, 2e-7, $"{activation} {p} f({x[i]})");
                // PyTorch's sigmoid and tanh backward go through y in float64 too: sigmoid'(88.7) is 0 there, 3e-39 here
                Close(dx[i], ActivationReference.Derivative(activation, p, x[i]), 1e-16, 2e-7, $"{activation} {p} f'({x[i]})");
            }
        }
    }

    [Fact]
    public void Cpu_float32_kernels_match_pytorch_float64_at_the_extremes()
    {
        using var cpu = new CpuBackend();
        foreach (var c in Oracle().GetProperty("activations").EnumerateArray())
        {
            var (activation, p) = CaseOf(c);
            // against PyTorch's float64: its float32 ELU is exp(x) - 1 (ELU(-1e-8) = 0 in the fixture)
            double[] x = Doubles(c, "x"), y64 = Doubles(c, "y_float64"), dx64 = Doubles(c, "dx_float64");
            using var xb = cpu.Allocate(x.Length);
            using var yb = cpu.Allocate(x.Length);
            using var dyb = cpu.Allocate(x.Length);
            using var dxb = cpu.Allocate(x.Length);
            cpu.Upload(xb.All, x);
            cpu.ActivationForward(activation, p, xb.All, yb.All);
            cpu.Fill(dyb.All, 1f);
            cpu.ActivationBackward(activation, p, yb.All, dyb.All, dxb.All);
            var y = new double[x.Length];
            var dx = new double[x.Length];
            cpu.Download(yb.All, y);
            cpu.Download(dxb.All, dx);
            for (int i = 0; i < x.Length; i++)
            {
                Close(y64[i], y[i], 1e-37, 2e-6, $"{activation} {p} f({x[i]})");
                // derivatives through y: sigmoid, tanh and ELU keep ~1e-7 absolute near saturation (PyTorch's sigmoid
                // and tanh backward too); the rest full relative precision
                double abs = activation is Activation.Sigmoid or Activation.Tanh or Activation.Elu ? 1.2e-7 * Math.Max(1, p.Alpha) : 1e-37;
                Close(dx64[i], dx[i], abs, 2e-6, $"{activation} {p} f'({x[i]})");
            }
        }
    }

    [Theory]
    [InlineData("mean")]
    [InlineData("sum")]
    public void Bce_on_probabilities_matches_pytorch_bceloss(string reduction)
    {
        var bce = Oracle().GetProperty("bce");
        double[] p = Doubles(bce, "p"), t = Doubles(bce, "t");
        double scale = reduction == "mean" ? 1.0 / p.Length : 1;
        foreach (var (backend, suffix, rel) in new (IBackend, string, double)[] { (new CpuBackend<double>(), "float64", 1e-12), (new CpuBackend(), "float32", 2e-6) })
            using (backend)
            {
                using var pb = backend.Allocate(p.Length);
                using var tb = backend.Allocate(p.Length);
                using var loss = backend.Allocate(1);
                using var gradient = backend.Allocate(p.Length);
                backend.Upload(pb.All, p);
                backend.Upload(tb.All, t);
                backend.Loss(LossKind.BinaryCrossEntropy, pb.All, tb.All, (float)scale, loss.All, false, gradient.All);
                var l = new double[1];
                var g = new double[p.Length];
                backend.Download(loss.All, l);
                backend.Download(gradient.All, g);
                // the float64 backend takes scale as a float: 1/10 carries float32's rounding
                Close(bce.GetProperty($"{reduction}_loss_{suffix}").GetDouble(), l[0], 0, Math.Max(rel, 1e-7), $"{suffix} {reduction} loss");
                double[] want = Doubles(bce, $"{reduction}_grad_{suffix}");
                for (int i = 0; i < p.Length; i++)
                    Close(want[i], g[i], 1e-7 * scale, Math.Max(rel, 1e-7), $"{suffix} {reduction} d/dp[{i}] (p {p[i]}, t {t[i]})");
            }
    }

    private static void Close(double want, double got, double abs, double rel, string what) =>
        Assert.True(Math.Abs(got - want) <= abs + rel * Math.Abs(want), $"{what}: PyTorch {want:R}, GpuAe {got:R}");

    // ---- the spec ----------------------------------------------------------------------------------

    [Fact]
    public void Activation_layer_and_reduction_round_trip_through_json()
    {
        var spec = Model(ReconstructionLoss.BinaryCrossEntropyOnProbabilities, LossReduction.Sum);
        string json = spec.ToJson();
        Assert.Contains("""{"type":"activation","activation":"elu","alpha":0.7}""", json);
        Assert.Contains("""{"type":"activation","activation":"sigmoid"}""", json);
        Assert.Contains("\"loss\":\"binary_cross_entropy_on_probabilities\"", json);
        Assert.Contains("\"reduction\":\"sum\"", json);
        var back = ModelSpec.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(new ActivationParameters(0.01f, 0.7f, 1f, 20f), ((ActivationSpec)back.Layers[1]).Parameters);
        Assert.True(back.LossPerImage);
        // no reduction: absent from the JSON, as before
        Assert.DoesNotContain("reduction", Model(ReconstructionLoss.MeanSquaredError, null).ToJson());
        var leaky = ModelSpec.FromJson("""{"name":"l","input_shape":[4],"layers":[{"type":"dense","units":4},{"type":"activation","activation":"leaky_relu","negative_slope":0.2}],"loss":"mean_squared_error","code_layer":0}""");
        Assert.Equal(0.2f, ((ActivationSpec)leaky.Layers[1]).Parameters.NegativeSlope);
        Assert.Equal(new[] { 4 }, Network.Validate(leaky).Select(p => p.Shape[0]).Distinct());
    }

    [Theory]
    [InlineData("""{"type":"activation","activation":"relu","alpha":2}""", "layers.1: alpha applies to elu, not relu")]
    [InlineData("""{"type":"activation","activation":"elu","negative_slope":0.1}""", "layers.1: negative_slope applies to leaky_relu, not elu")]
    [InlineData("""{"type":"activation","activation":"leaky_relu","negative_slope":-0.1}""", "layers.1: negative_slope must be a finite number >= 0")]
    [InlineData("""{"type":"activation","activation":"softplus","beta":0}""", "layers.1: beta must be a finite number > 0")]
    public void Bad_activation_parameters_are_refused_with_the_layer_named(string layer, string message)
    {
        var spec = ModelSpec.FromJson($$"""{"name":"m","input_shape":[4],"layers":[{"type":"dense","units":4},{{layer}}],"loss":"mean_squared_error","code_layer":0}""");
        var e = Assert.Throws<ModelSpecException>(() => Network.Validate(spec));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Bce_on_probabilities_needs_a_sigmoid_output_and_a_vae_takes_no_mean()
    {
        var relu = new ModelBuilder("r", 4).Dense(2, Activation.Relu).Code().Dense(4, Activation.Relu).Build(ReconstructionLoss.BinaryCrossEntropyOnProbabilities);
        Assert.Contains("binary_cross_entropy_on_probabilities needs outputs in [0, 1] from a sigmoid, the last layer has relu",
            Assert.Throws<ModelSpecException>(() => Network.Validate(relu)).Message);
        var vae = new ModelBuilder("v", 4).Dense(3, Activation.Relu).VaeLatent(2).Code().Dense(4, Activation.Sigmoid)
            .Build(ReconstructionLoss.BinaryCrossEntropy, LossReduction.Mean);
        Assert.Contains("not 'mean'", Assert.Throws<ModelSpecException>(() => Network.Validate(vae)).Message);
        Network.Validate(vae with { Reduction = LossReduction.Sum });
    }
}

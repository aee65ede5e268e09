using System.Globalization;
using GpuAe.Backends;

namespace GpuAe.Conformance;

// Parameterised activations and their extremes: the values the subject computes at ±1e-8, ±15, ±20, ±88.7, ±100 are
// compared with float64 values of the formulas (computed here, not by the reference backend), so the whole float range
// is checked on every backend, the float64 CPU reference included. benchmarks/compare/torch_activation_oracle.py
// checks these formulas against PyTorch (tests/GpuAe.Tests/Fixtures/torch_activation_oracle.json).
public static partial class ConformanceSuite
{
    /// <summary>The inputs of the extreme-value cases.</summary>
    public static IReadOnlyList<float> ExtremeInputs { get; } =
        [0f, -0f, 1e-8f, -1e-8f, 1e-3f, -1e-3f, 15f, -15f, 17.5f, -17.5f, 20f, -20f, 88.7f, -88.7f, 100f, -100f];

    /// <summary>Parameter sets the activation checks run with: PyTorch's defaults, and others where they matter.</summary>
    private static IEnumerable<ActivationParameters> ParameterSets(Activation activation)
    {
        yield return ActivationParameters.Default;
        if (activation is Activation.LeakyRelu or Activation.Elu or Activation.Softplus)
        {
            yield return new ActivationParameters(0.2f, 0.5f, 2f, 10f);
            yield return new ActivationParameters(0f, 2.5f, 0.5f, 30f);
        }
    }

    // Relative: a few float32 ulps. Absolute: below the smallest normal float, so a subnormal result may be flushed
    // to zero, but a small normal value (softplus(-20) = 2.1e-9, ELU(-1e-8)) must keep its digits.
    private static Tolerance ExtremeForward => new(1e-37, 2e-6);
    // Derivatives of sigmoid, tanh and ELU are written through y (see Activation): near saturation y is 1 (or -alpha)
    // to within half an ulp, so f' keeps ~1e-7 absolute, as PyTorch's sigmoid/tanh backward does. Softplus' backward
    // keeps full relative precision (-expm1(-beta y)).
    private static Tolerance ExtremeBackwardThroughY => new(1.2e-7, 2e-6);

    // properties, not fields: Checks (another part of this class) reads them while its static fields initialise
    private static Check[] ActivationLossChecks =>
    [
        new("ActivationForwardExtremes", ExtremeForward, ActivationForwardExtremesCheck),
        new("ActivationBackwardExtremes", ExtremeForward, ActivationBackwardExtremesCheck),
    ];

    private static void ActivationForwardExtremesCheck(Session s)
    {
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var parameters in ParameterSets(act))
                s.Case($"{act} {parameters}", () =>
                {
                    var inputs = ExtremeInputs.ToArray();
                    var x = s.Real(inputs);
                    var y = s.Real(inputs.Length);
                    s.Sub.ActivationForward(act, parameters, x.S, y.S);
                    s.CompareExpected("y", y, inputs.Select(v => ActivationReference.Forward(act, parameters, v)).ToArray(), inputs);
                });
    }

    private static void ActivationBackwardExtremesCheck(Session s)
    {
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var parameters in ParameterSets(act))
                s.Case($"{act} {parameters}", () =>
                {
                    var inputs = ExtremeInputs.ToArray();
                    // y = f(x) rounded once to float32 (what a forward pass stores), dy = 1: dx is f'(x)
                    var y = s.Real(inputs.Select(v => (float)ActivationReference.Forward(act, parameters, v)).ToArray());
                    var dy = s.Real(Enumerable.Repeat(1f, inputs.Length).ToArray());
                    var dx = s.Real(inputs.Length);
                    s.Sub.ActivationBackward(act, parameters, y.S, dy.S, dx.S);
                    var tolerance = act is Activation.Sigmoid or Activation.Tanh or Activation.Elu
                        ? ExtremeBackwardThroughY with { Absolute = ExtremeBackwardThroughY.Absolute * Math.Max(1, parameters.Alpha) }
                        : ExtremeForward;
                    s.CompareExpected("dx", dx, inputs.Select(v => ActivationReference.Derivative(act, parameters, v)).ToArray(), inputs, tolerance);
                });
    }

    /// <summary>Probabilities for BCE on probabilities: uniform in [0, 1] with the ends (log clamped at -100, the gradient's
    /// 1e-12 floor) and a tiny one among them.</summary>
    private static float[] Probabilities(Session s, int n)
    {
        var p = s.Uniform(n, 0f, 1f);
        float[] ends = [0f, 1f, 1e-8f, 1f - 5.96046448e-8f]; // the last: the float below 1
        for (int i = 0; i < ends.Length && 3 * i < n; i++) p[3 * i] = ends[i];
        return p;
    }

    private sealed partial class Session
    {
        /// <summary>Compares the subject's view with float64 <paramref name="expected"/> values (and its padding with
        /// what was uploaded), naming the input of a failing element.</summary>
        public void CompareExpected(string what, Pair pair, double[] expected, float[] inputs, Tolerance? custom = null)
        {
            var tol = custom ?? tolerance;
            var s = new float[pair.SBuffer.Length];
            subject.Download(pair.SBuffer.All, s);
            var r = new float[pair.RBuffer.Length];
            reference.Download(pair.RBuffer.All, r); // the padding the subject must not touch (never launched on)
            long viewStart = pair.S.Offset;
            for (int i = 0; i < s.Length; i++)
            {
                bool inView = i >= viewStart && i < viewStart + pair.Length;
                double want = inView ? expected[i - viewStart] : r[i], got = s[i];
                string where = inView
                    ? string.Create(CultureInfo.InvariantCulture, $"{what}[{i - viewStart}] (x = {inputs[i - viewStart]:G9})")
                    : $"{what} padding[{i}] (written outside the view)";
                double error = Math.Abs(got - want);
                double allowed = inView ? tol.Allowed(want) : 0;
                if (double.IsNaN(got) || double.IsInfinity(got)) error = double.PositiveInfinity;
                _maxAbs = Math.Max(_maxAbs, double.IsFinite(error) ? error : 0);
                _worst = Math.Max(_worst, allowed > 0 ? error / allowed : error > 0 ? double.PositiveInfinity : 0);
                if (error > allowed)
                {
                    Fail(string.Create(CultureInfo.InvariantCulture, $"{where}: float64 {want:G9}, subject {got:G9}, |err| {error:G3} > {allowed:G3}"));
                    return;
                }
            }
        }
    }
}

/// <summary>
/// The activations and their derivatives in float64, written independently of the kernels (log1p and expm1 by their
/// series where the direct forms lose digits), PyTorch's semantics: LeakyReLU, ELU, Softplus with beta and threshold.
/// The reference values of the conformance suite's extreme cases.
/// </summary>
public static class ActivationReference
{
    /// <summary>f(x).</summary>
    public static double Forward(Activation activation, in ActivationParameters p, double x) => activation switch
    {
        Activation.Linear => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.LeakyRelu => x > 0 ? x : p.NegativeSlope * x,
        Activation.Elu => x > 0 ? x : p.Alpha * ExpM1(x),
        Activation.Sigmoid => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.Softplus => p.Beta * x > p.Threshold ? x : (Math.Max(p.Beta * x, 0) + LogP1(Math.Exp(-Math.Abs(p.Beta * x)))) / p.Beta,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>f'(x); at x = 0 the ReLU family takes the left derivative (PyTorch's convention).</summary>
    public static double Derivative(Activation activation, in ActivationParameters p, double x) => activation switch
    {
        Activation.Linear => 1,
        Activation.Relu => x > 0 ? 1 : 0,
        Activation.LeakyRelu => x > 0 ? 1 : p.NegativeSlope,
        Activation.Elu => x > 0 ? 1 : p.Alpha * Math.Exp(x),
        Activation.Sigmoid => Forward(Activation.Sigmoid, p, x) * Forward(Activation.Sigmoid, p, -x),
        Activation.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        Activation.Softplus => p.Beta * x > p.Threshold ? 1 : Forward(Activation.Sigmoid, p, p.Beta * x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>log(1 + e) for e &gt;= 0: the series below 1e-4 (error under 1e-17 relative), log above.</summary>
    public static double LogP1(double e) => e < 1e-4 ? e * (1 - e * (0.5 - e * (1.0 / 3 - e * 0.25))) : Math.Log(1 + e);

    /// <summary>exp(x) - 1: the series for |x| below 1e-4, exp above.</summary>
    public static double ExpM1(double x) => Math.Abs(x) < 1e-4 ? x * (1 + x * (0.5 + x * (1.0 / 6 + x / 24))) : Math.Exp(x) - 1;
}

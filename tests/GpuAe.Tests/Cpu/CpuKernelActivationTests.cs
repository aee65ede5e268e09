using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// ActivationForward / ActivationBackward of the float32 CPU backend against the textbook formulas in
/// double (LeakyReLU slope <see cref="ActivationConstants.LeakyReluSlope"/>, ELU alpha = 1, softplus =
/// log(1 + eˣ)). Tolerance: |got - ref| &lt;= 1e-5 + 1e-5 |ref|.
/// </summary>
public class CpuKernelActivationTests
{
    readonly IBackend _cpu = new CpuBackend();

    public static TheoryData<Activation> Activations() => new(Enum.GetValues<Activation>());

    /// <summary>Zero (both signs), tiny, moderate, saturating and huge inputs; ±80 must not give NaN/Inf.</summary>
    static readonly double[] Edges = [0, -0.0, 1e-3, -1e-3, 1, -1, 5, -5, 17, -17, 20, -20, 80, -80];

    /// <summary>Edges followed by random values in [-6, 6]; the long one is split over threads.</summary>
    static IEnumerable<double[]> Inputs()
    {
        var random = new System.Random(3);
        foreach (int length in new[] { 1, 31, 40000 })
            yield return [.. Edges, .. Kernel.RandomValues(random, length, -6, 6)];
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Forward_MatchesFormula(Activation activation)
    {
        foreach (double[] x in Inputs())
        {
            var y = _cpu.Allocate(x.Length).All;
            _cpu.ActivationForward(activation, ActivationParameters.Default, _cpu.Reals(x), y);
            float[] got = _cpu.Floats(y);
            Assert.All(got, v => Assert.True(float.IsFinite(v), $"{activation} produced {v}"));
            Kernel.AssertClose(x.Select(v => F(activation, v)).ToArray(), got, $"{activation} forward n={x.Length}");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Backward_MatchesDerivative(Activation activation)
    {
        var random = new System.Random(4);
        foreach (double[] x in Inputs())
        {
            double[] dy = Kernel.RandomValues(random, x.Length);
            var y = _cpu.Allocate(x.Length).All;
            _cpu.ActivationForward(activation, ActivationParameters.Default, _cpu.Reals(x), y);
            var dx = _cpu.Allocate(x.Length).All;
            _cpu.ActivationBackward(activation, ActivationParameters.Default, y, _cpu.Reals(dy), dx);
            float[] got = _cpu.Floats(dx);
            Assert.All(got, v => Assert.True(float.IsFinite(v), $"{activation} backward produced {v}"));
            Kernel.AssertClose(x.Select((v, i) => dy[i] * DF(activation, v)).ToArray(), got, $"{activation} backward n={x.Length}");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void InPlace_EqualsOutOfPlace(Activation activation)
    {
        foreach (double[] x in Inputs())
        {
            double[] dy = Kernel.RandomValues(new System.Random(x.Length), x.Length);
            var y = _cpu.Allocate(x.Length).All;
            var dx = _cpu.Allocate(x.Length).All;
            _cpu.ActivationForward(activation, ActivationParameters.Default, _cpu.Reals(x), y);
            _cpu.ActivationBackward(activation, ActivationParameters.Default, y, _cpu.Reals(dy), dx);

            var inPlace = _cpu.Reals(x);
            _cpu.ActivationForward(activation, ActivationParameters.Default, inPlace, inPlace);
            Assert.Equal(_cpu.Floats(y), _cpu.Floats(inPlace));
            var gradientInPlace = _cpu.Reals(dy);
            _cpu.ActivationBackward(activation, ActivationParameters.Default, inPlace, gradientInPlace, gradientInPlace);
            Assert.Equal(_cpu.Floats(dx), _cpu.Floats(gradientInPlace));
        }
    }

    /// <summary>f(x) in double.</summary>
    internal static double F(Activation activation, double x) => activation switch
    {
        Activation.Linear => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.LeakyRelu => x > 0 ? x : ActivationConstants.LeakyReluSlope * x,
        Activation.Elu => x > 0 ? x : Math.Exp(x) - 1,
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.Softplus => Math.Log(1 + Math.Exp(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>f'(x) in double; at x = 0 the ReLU family takes the left derivative (PyTorch's convention).</summary>
    static double DF(Activation activation, double x) => activation switch
    {
        Activation.Linear => 1,
        Activation.Relu => x > 0 ? 1 : 0,
        Activation.LeakyRelu => x > 0 ? 1 : ActivationConstants.LeakyReluSlope,
        Activation.Elu => x > 0 ? 1 : Math.Exp(x),
        Activation.Sigmoid => F(Activation.Sigmoid, x) * (1 - F(Activation.Sigmoid, x)),
        Activation.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        Activation.Softplus => F(Activation.Sigmoid, x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };
}

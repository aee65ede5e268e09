using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// The fused loss + gradient kernel against naive double loops. Gradient: |got - ref| &lt;= 1e-5 + 1e-5 |ref|
/// per element. Loss (a sum): |got - ref| &lt;= 1e-5 (1 + Σ|scale l_i|) + 1e-5 |ref|. Sizes straddle the CPU
/// kernel's 4096-element chunks.
/// </summary>
public class CpuKernelLossTests
{
    readonly IBackend _cpu = new CpuBackend();

    public static TheoryData<LossKind, int> Cases()
    {
        var data = new TheoryData<LossKind, int>();
        foreach (var kind in Enum.GetValues<LossKind>())
            foreach (int length in new[] { 1, 4095, 4096, 4097, 10007 })
                data.Add(kind, length);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradient_MatchNaive(LossKind kind, int length)
    {
        var random = new System.Random(length + (int)kind);
        bool bce = kind is LossKind.BinaryCrossEntropyWithLogits or LossKind.BinaryCrossEntropy;
        double[] p = kind == LossKind.BinaryCrossEntropy ? Kernel.RandomValues(random, length, 0, 1) : Kernel.RandomValues(random, length, -4, 4);
        double[] t = bce ? Kernel.RandomValues(random, length, 0, 1) : Kernel.RandomValues(random, length, -4, 4);
        for (int i = 0; i < length; i += 17) t[i] = bce ? Math.Round(t[i]) : p[i]; // hard labels; zero residuals
        Check(kind, p, t);
    }

    /// <summary>Logits of ±100 saturate the sigmoid: loss must stay finite and equal max(z,0) - z t (+ e^-100).</summary>
    [Fact]
    public void BinaryCrossEntropy_IsStableForLargeLogits()
    {
        double[] z = [100, -100, 100, -100, 100, -100, 30, -30];
        double[] t = [1, 1, 0, 0, 0.3, 0.3, 0.5, 0.5];
        Check(LossKind.BinaryCrossEntropyWithLogits, z, t);
    }

    void Check(LossKind kind, double[] p, double[] t)
    {
        double[] l = new double[p.Length], dl = new double[p.Length];
        for (int i = 0; i < p.Length; i++) (l[i], dl[i]) = Naive(kind, p[i], t[i]);
        var prediction = _cpu.Reals(p);
        var target = _cpu.Reals(t);

        foreach (double scale in new[] { 1.0, 1.0 / p.Length, 0.37 })
            foreach (bool accumulate in new[] { false, true })
                foreach (bool withGradient in new[] { false, true })
                {
                    string context = $"{kind} n={p.Length} scale={scale} accumulate={accumulate} gradient={withGradient}";
                    const float initialLoss = 1.75f;
                    var loss = _cpu.Reals([initialLoss]);
                    var gradient = _cpu.Reals(Enumerable.Repeat(float.NaN, p.Length).ToArray());
                    _cpu.Loss(kind, prediction, target, (float)scale, loss, accumulate, withGradient ? gradient : null);

                    float got = _cpu.Floats(loss)[0];
                    Assert.True(float.IsFinite(got), $"{context}: loss {got}");
                    double expected = (float)scale * l.Sum() + (accumulate ? initialLoss : 0);
                    double magnitude = (float)scale * l.Sum(Math.Abs) + (accumulate ? initialLoss : 0);
                    Kernel.AssertClose(expected, got, $"{context}: loss", abs: Kernel.Abs * (1 + magnitude));

                    float[] gotGradient = _cpu.Floats(gradient);
                    if (withGradient) Kernel.AssertClose(dl.Select(d => (float)scale * d).ToArray(), gotGradient, $"{context}: gradient");
                    else Assert.All(gotGradient, v => Assert.True(float.IsNaN(v), $"{context}: gradient written though none was given"));
                }
    }

    /// <summary>Loss term and its derivative in p, in double. BCE on logits z: -t log σ(z) - (1-t) log(1-σ(z)).</summary>
    static (double Loss, double Derivative) Naive(LossKind kind, double p, double t) => kind switch
    {
        LossKind.SquaredError => ((p - t) * (p - t), 2 * (p - t)),
        LossKind.AbsoluteError => (Math.Abs(p - t), Math.Sign(p - t)),
        // log σ(z) = -log(1 + e^-z) and log(1 - σ(z)) = -z - log(1 + e^-z); for e^-z overflow use the mirrored form.
        LossKind.BinaryCrossEntropyWithLogits => (p >= 0
            ? (1 - t) * p + Math.Log(1 + Math.Exp(-p))
            : -t * p + Math.Log(1 + Math.Exp(p)), 1 / (1 + Math.Exp(-p)) - t),
        // PyTorch's BCELoss on probabilities: logs clamped at -100, the gradient's denominator at 1e-12
        LossKind.BinaryCrossEntropy => (-(t * Math.Max(Math.Log(p), -100) + (1 - t) * Math.Max(Math.Log(1 - p), -100)),
            (p - t) / Math.Max(p * (1 - p), 1e-12)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

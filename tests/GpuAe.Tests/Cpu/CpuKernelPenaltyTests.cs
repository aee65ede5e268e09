using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// The penalty kernels (float32 CPU) against naive double references: the activity penalties from their definitions,
/// the contractive penalty from the explicit per-sample Jacobian J_ji = f'(z_j) W_ji, with its gradients (h and W taken
/// as independent inputs) from central differences of that reference. Every output accumulates onto what was there.
/// </summary>
public class CpuKernelPenaltyTests
{
    readonly IBackend _cpu = new CpuBackend();

    [Theory]
    [InlineData(ActivityPenaltyKind.L1, 1, 1)]
    [InlineData(ActivityPenaltyKind.L1, 13, 7)]
    [InlineData(ActivityPenaltyKind.L1, 256, 32)]
    [InlineData(ActivityPenaltyKind.KlSparsity, 1, 1)]
    [InlineData(ActivityPenaltyKind.KlSparsity, 13, 7)]
    [InlineData(ActivityPenaltyKind.KlSparsity, 256, 32)]
    public void Activity_penalty_matches_its_definition(ActivityPenaltyKind kind, int batch, int units)
    {
        var random = new System.Random(batch * 31 + units);
        double[] h = Kernel.RandomValues(random, batch * units, kind == ActivityPenaltyKind.L1 ? -1 : 0.02, kind == ActivityPenaltyKind.L1 ? 1 : 0.98);
        double[] dh0 = Kernel.RandomValues(random, h.Length);
        const double strength = 0.37, rho = 0.1;
        double loss = 0.25;
        var dh = (double[])dh0.Clone();
        for (int j = 0; j < units; j++)
        {
            double mean = 0;
            for (int b = 0; b < batch; b++) mean += h[b * units + j] / batch;
            if (kind == ActivityPenaltyKind.L1)
                for (int b = 0; b < batch; b++)
                {
                    loss += strength / batch * Math.Abs(h[b * units + j]);
                    dh[b * units + j] += strength / batch * Math.Sign(h[b * units + j]);
                }
            else
            {
                loss += strength * (rho * Math.Log(rho / mean) + (1 - rho) * Math.Log((1 - rho) / (1 - mean)));
                for (int b = 0; b < batch; b++) dh[b * units + j] += strength / batch * (-rho / mean + (1 - rho) / (1 - mean));
            }
        }

        var hv = _cpu.Reals(h);
        var lv = _cpu.Reals([0.25]);
        var dv = _cpu.Reals(dh0);
        _cpu.ActivityPenalty(kind, batch, units, hv, (float)strength, (float)rho, lv, dv);
        Kernel.AssertClose(loss, _cpu.Floats(lv)[0], "loss");
        Kernel.AssertClose(dh, _cpu.Floats(dv), "dh");

        // without a gradient view only the loss moves
        _cpu.ActivityPenalty(kind, batch, units, hv, (float)strength, (float)rho, lv, null);
        Kernel.AssertClose(2 * loss - 0.25, _cpu.Floats(lv)[0], "loss, second call");
    }

    [Fact]
    public void Kl_sparsity_clamps_dead_units_to_a_finite_penalty()
    {
        var lv = _cpu.Reals([0.0]);
        var dv = _cpu.Reals([0.0, 0.0, 0.0, 0.0]);
        _cpu.ActivityPenalty(ActivityPenaltyKind.KlSparsity, 2, 2, _cpu.Reals([0.0, 1.0, 0.0, 1.0]), 1f, 0.05f, lv, dv);
        Assert.True(float.IsFinite(_cpu.Floats(lv)[0]));
        Assert.All(_cpu.Floats(dv), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(Activation.Sigmoid, 1, 1, 1)]
    [InlineData(Activation.Sigmoid, 7, 5, 11)]
    [InlineData(Activation.Relu, 1, 1, 1)]
    [InlineData(Activation.Relu, 7, 5, 11)]
    public void Contractive_penalty_matches_the_explicit_jacobian(Activation activation, int batch, int units, int inputs)
    {
        var random = new System.Random(batch + 7 * units + 13 * inputs);
        double[] h = activation == Activation.Sigmoid
            ? Kernel.RandomValues(random, batch * units, 0.02, 0.98)
            : Array.ConvertAll(Kernel.RandomValues(random, batch * units, -1, 1), v => Math.Max(0, v));
        double[] w = Kernel.RandomValues(random, units * inputs);
        double[] dh0 = Kernel.RandomValues(random, h.Length), dw0 = Kernel.RandomValues(random, w.Length);
        const double strength = 0.3;

        double Penalty(double[] hh, double[] ww)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < units; j++)
                {
                    double v = hh[b * units + j];
                    double slope = activation == Activation.Sigmoid ? v * (1 - v) : v > 0 ? 1 : 0;   // f'(z) through h
                    for (int i = 0; i < inputs; i++)
                    {
                        double jacobian = slope * ww[j * inputs + i];
                        sum += jacobian * jacobian;
                    }
                }
            return strength / batch * sum;
        }

        double[] Numeric(double[] x, Func<double> f)
        {
            var g = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                double saved = x[i];
                x[i] = saved + 1e-6; double up = f();
                x[i] = saved - 1e-6; double down = f();
                x[i] = saved;
                g[i] = (up - down) / 2e-6;
            }
            return g;
        }

        // relu: the derivative in h is 0 almost everywhere (the kernel skips it); central differences agree away from 0
        double[] gh = activation == Activation.Sigmoid ? Numeric(h, () => Penalty(h, w)) : new double[h.Length];
        double[] gw = Numeric(w, () => Penalty(h, w));
        var hv = _cpu.Reals(h);
        var wv = _cpu.Reals(w);
        var lv = _cpu.Reals([0.5]);
        var dv = _cpu.Reals(dh0);
        var dwv = _cpu.Reals(dw0);
        _cpu.ContractivePenalty(activation, batch, units, inputs, hv, wv, (float)strength, lv, dv, dwv);
        Kernel.AssertClose(0.5 + Penalty(h, w), _cpu.Floats(lv)[0], "loss");
        Kernel.AssertClose(dh0.Select((v, i) => v + gh[i]).ToArray(), _cpu.Floats(dv), "dh", 1e-5, 1e-4);
        Kernel.AssertClose(dw0.Select((v, i) => v + gw[i]).ToArray(), _cpu.Floats(dwv), "dWeight", 1e-5, 1e-4);

        // each output is optional: dW alone leaves the loss and dh alone
        _cpu.ContractivePenalty(activation, batch, units, inputs, hv, wv, (float)strength, null, null, dwv);
        Kernel.AssertClose(0.5 + Penalty(h, w), _cpu.Floats(lv)[0], "loss after a dW-only call");
        Kernel.AssertClose(dw0.Select((v, i) => v + 2 * gw[i]).ToArray(), _cpu.Floats(dwv), "dWeight, twice", 1e-5, 1e-4);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_their_name()
    {
        var h = _cpu.Reals([0.5, 0.5]);
        var l = _cpu.Reals([0.0]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.ActivityPenalty(ActivityPenaltyKind.KlSparsity, 1, 2, h, 1f, 1.5f, l, null));
        Assert.Contains("rho", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.ContractivePenalty(Activation.Tanh, 1, 2, 1, h, h, 1f, l, null, null));
        Assert.Contains("sigmoid and relu", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.ActivityPenalty(ActivityPenaltyKind.L1, 1, 2, h, -1f, 0f, l, null));
        Assert.Contains("strength", e.Message);
    }
}

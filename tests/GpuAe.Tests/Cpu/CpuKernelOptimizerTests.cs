using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// OptimizerUpdate for every rule and option against a naive double transcription of the published torch.optim update
/// rules (SGD with L2 weight decay, momentum with dampening (the first buffer is the gradient), Nesterov; RMSprop with
/// alpha, eps, momentum and centring; Adam with bias correction and L2; AdamW with decoupled decay p·(1 - lr·wd)), twelve
/// steps in a row with fresh gradients and a learning rate that changes every step, parameters and every state compared
/// after every step, on the float and the double CPU backend. Float tolerance: |got - ref| &lt;= 1e-4 + 1e-5 |ref| (g + wd·p
/// may cancel, and RMSprop divides by its root);
/// double: 1e-12 + 1e-12 |ref| (the double backend computes the same rules).
/// </summary>
public class CpuKernelOptimizerTests
{
    public static TheoryData<string, double> Cases()
    {
        var data = new TheoryData<string, double>();
        foreach (string name in Variants.Keys)
            foreach (double weightDecay in new[] { 0, 0.1 })
                data.Add(name, weightDecay);
        return data;
    }

    private static readonly Dictionary<string, OptimizerStep> Variants = new()
    {
        ["sgd"] = new(OptimizerKind.Sgd, 0.05, 1),
        ["momentum"] = new(OptimizerKind.Momentum, 0.05, 1, Momentum: 0.8),
        ["momentum dampening"] = new(OptimizerKind.Momentum, 0.05, 1, Momentum: 0.8, Dampening: 0.4),
        ["nesterov"] = new(OptimizerKind.Nesterov, 0.05, 1, Momentum: 0.8),
        ["rmsprop"] = new(OptimizerKind.RmsProp, 0.05, 1, Rho: 0.95, Epsilon: 1e-6),
        ["rmsprop momentum"] = new(OptimizerKind.RmsProp, 0.05, 1, Rho: 0.99, Epsilon: 1e-8, Momentum: 0.6),
        ["rmsprop centered"] = new(OptimizerKind.RmsProp, 0.05, 1, Rho: 0.9, Centered: true),
        ["rmsprop centered momentum"] = new(OptimizerKind.RmsProp, 0.05, 1, Rho: 0.9, Momentum: 0.3, Centered: true),
        ["adam"] = new(OptimizerKind.Adam, 0.05, 1, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-6),
        ["adamw"] = new(OptimizerKind.AdamW, 0.05, 1, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-6),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_update_matches_the_published_rules(string name, double weightDecay)
    {
        using var cpu = new CpuBackend();
        Check(cpu, name, weightDecay, 1e-4, Kernel.Rel, v => cpu.Floats(v).Select(x => (double)x).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_update_matches_the_published_rules(string name, double weightDecay)
    {
        using var cpu = new CpuBackend<double>();
        Check(cpu, name, weightDecay, 1e-12, 1e-12, v =>
        {
            var d = new double[v.Length];
            cpu.Download(v, d);
            return d;
        });
    }

    private static void Check(IBackend backend, string name, double weightDecay, double abs, double rel, Func<BufferView, double[]> read)
    {
        foreach (int length in new[] { 1, 1000, 40000 })
        {
            var random = new System.Random(length);
            double[] parameters = Kernel.RandomValues(random, length);
            var reference = new NaiveOptimizer(parameters);
            var p = backend.Reals(parameters);
            var s1 = backend.Reals(new float[length]);
            var s2 = backend.Reals(new float[length]);
            var s3 = backend.Reals(new float[length]);
            for (int step = 1; step <= 12; step++)
            {
                var hyper = Variants[name] with { Step = step, LearningRate = 0.05 / (1 + 0.1 * step), WeightDecay = weightDecay };
                double[] gradients = Kernel.RandomValues(random, length);
                backend.OptimizerUpdate(hyper, p, backend.Reals(gradients), s1, s2, s3);
                reference.Step(hyper, gradients);

                string context = $"{name} wd={weightDecay} n={length} step {step}";
                AssertClose(reference.Parameters, read(p), abs, rel, $"{context} parameters");
                if (hyper.UsesState1) AssertClose(reference.State1, read(s1), abs, rel, $"{context} state1");
                if (hyper.UsesState2) AssertClose(reference.State2, read(s2), abs, rel, $"{context} state2");
                if (hyper.UsesState3) AssertClose(reference.State3, read(s3), abs, rel, $"{context} state3");
            }
        }
    }

    private static void AssertClose(double[] expected, double[] actual, double abs, double rel, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= abs + rel * Math.Abs(expected[i]),
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R}");
    }

    /// <summary>torch.optim.{SGD, RMSprop, Adam, AdamW}.step (1.13, single-tensor) for one parameter tensor, in double.</summary>
    sealed class NaiveOptimizer(double[] parameters)
    {
        public double[] Parameters { get; } = (double[])parameters.Clone();
        /// <summary>momentum_buffer, square_avg or exp_avg.</summary>
        public double[] State1 { get; } = new double[parameters.Length];
        /// <summary>exp_avg_sq, or RMSprop's momentum_buffer.</summary>
        public double[] State2 { get; } = new double[parameters.Length];
        /// <summary>RMSprop's grad_avg (centered).</summary>
        public double[] State3 { get; } = new double[parameters.Length];

        public void Step(OptimizerStep h, double[] gradients)
        {
            double lr = h.LearningRate, wd = h.WeightDecay, mu = h.Momentum, alpha = h.Rho, eps = h.Epsilon, b1 = h.Beta1, b2 = h.Beta2;
            for (int i = 0; i < Parameters.Length; i++)
            {
                double p = Parameters[i], g = gradients[i];
                if (h.Kind == OptimizerKind.AdamW) p *= 1 - lr * wd;
                else if (wd != 0) g += wd * p;
                switch (h.Kind)
                {
                    case OptimizerKind.Sgd:
                        p -= lr * g;
                        break;
                    case OptimizerKind.Momentum or OptimizerKind.Nesterov:
                        State1[i] = h.Step == 1 ? g : mu * State1[i] + (1 - h.Dampening) * g; // buf = clone(g) on the first step
                        p -= lr * (h.Kind == OptimizerKind.Nesterov ? g + mu * State1[i] : State1[i]);
                        break;
                    case OptimizerKind.RmsProp:
                        State1[i] = alpha * State1[i] + (1 - alpha) * g * g;
                        double variance = State1[i];
                        if (h.Centered)
                        {
                            State3[i] = alpha * State3[i] + (1 - alpha) * g;
                            variance -= State3[i] * State3[i];
                        }
                        double average = Math.Sqrt(variance) + eps;
                        if (mu > 0)
                        {
                            State2[i] = mu * State2[i] + g / average;
                            p -= lr * State2[i];
                        }
                        else p -= lr * g / average;
                        break;
                    case OptimizerKind.Adam or OptimizerKind.AdamW:
                        State1[i] = b1 * State1[i] + (1 - b1) * g;
                        State2[i] = b2 * State2[i] + (1 - b2) * g * g;
                        double stepSize = lr / (1 - Math.Pow(b1, h.Step));
                        double denominator = Math.Sqrt(State2[i]) / Math.Sqrt(1 - Math.Pow(b2, h.Step)) + eps;
                        p -= stepSize * State1[i] / denominator;
                        break;
                }
                Parameters[i] = p;
            }
        }
    }
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// OptimizerUpdate for every <see cref="OptimizerKind"/> against a naive double transcription of PyTorch's
/// torch.optim update rules (SGD with L2 weight decay, momentum and Nesterov with dampening 0, RMSprop
/// (alpha = Rho, not centered), Adam with bias correction, AdamW with decoupled decay), twelve steps in a
/// row with fresh gradients, parameters and state compared after every step (so at steps 1 and 10).
/// Tolerance: |got - ref| &lt;= 1e-5 + 1e-5 |ref|.
/// </summary>
public class CpuKernelOptimizerTests
{
    readonly IBackend _cpu = new CpuBackend();

    public static TheoryData<OptimizerKind, float> Cases()
    {
        var data = new TheoryData<OptimizerKind, float>();
        foreach (var kind in Enum.GetValues<OptimizerKind>())
            foreach (float weightDecay in new[] { 0f, 0.1f })
                data.Add(kind, weightDecay);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Update_MatchesPyTorchRules(OptimizerKind kind, float weightDecay)
    {
        foreach (int length in new[] { 1, 1000, 40000 })
        {
            var random = new System.Random(length);
            double[] parameters = Kernel.RandomValues(random, length);
            var reference = new NaiveOptimizer(parameters);
            var p = _cpu.Reals(parameters);
            var s1 = _cpu.Reals(new float[kind == OptimizerKind.Sgd ? 0 : length]);
            var s2 = _cpu.Reals(new float[kind is OptimizerKind.Adam or OptimizerKind.AdamW ? length : 0]);

            for (int step = 1; step <= 12; step++)
            {
                var hyper = new OptimizerStep(kind, LearningRate: 0.05f, Step: step, Beta1: 0.8f, Beta2: 0.99f,
                    Epsilon: 1e-6f, Momentum: 0.8f, Rho: 0.95f, WeightDecay: weightDecay);
                double[] gradients = Kernel.RandomValues(random, length);
                _cpu.OptimizerUpdate(hyper, p, _cpu.Reals(gradients), s1, s2);
                reference.Step(hyper, gradients);

                string context = $"{kind} wd={weightDecay} n={length} step {step}";
                Kernel.AssertClose(reference.Parameters, _cpu.Floats(p), $"{context} parameters");
                if (!s1.IsEmpty) Kernel.AssertClose(reference.State1, _cpu.Floats(s1), $"{context} state1");
                if (!s2.IsEmpty) Kernel.AssertClose(reference.State2, _cpu.Floats(s2), $"{context} state2");
            }
        }
    }

    /// <summary>torch.optim.{SGD, RMSprop, Adam, AdamW}.step for one parameter tensor, in double.</summary>
    sealed class NaiveOptimizer(double[] parameters)
    {
        public double[] Parameters { get; } = (double[])parameters.Clone();
        /// <summary>momentum_buffer, square_avg or exp_avg.</summary>
        public double[] State1 { get; } = new double[parameters.Length];
        /// <summary>exp_avg_sq.</summary>
        public double[] State2 { get; } = new double[parameters.Length];

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
                        State1[i] = h.Step == 1 ? g : mu * State1[i] + g; // buf = clone(g) on the first step
                        p -= lr * (h.Kind == OptimizerKind.Nesterov ? g + mu * State1[i] : State1[i]);
                        break;
                    case OptimizerKind.RmsProp:
                        State1[i] = alpha * State1[i] + (1 - alpha) * g * g;
                        p -= lr * g / (Math.Sqrt(State1[i]) + eps);
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

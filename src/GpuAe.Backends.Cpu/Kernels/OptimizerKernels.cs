using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>One pass over the flat parameter buffer per step (PyTorch's update rules).</summary>
internal static class OptimizerKernels
{
    public static bool NeedsState1(OptimizerKind kind) => kind != OptimizerKind.Sgd;
    public static bool NeedsState2(OptimizerKind kind) => kind is OptimizerKind.Adam or OptimizerKind.AdamW;

    public static void Update<T>(OptimizerStep step, HostView<T> parameters, HostView<T> gradients, HostView<T> state1, HostView<T> state2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(step.LearningRate), wd = T.CreateTruncating(step.WeightDecay);
        T mu = T.CreateTruncating(step.Momentum), rho = T.CreateTruncating(step.Rho), eps = T.CreateTruncating(step.Epsilon);
        T b1 = T.CreateTruncating(step.Beta1), b2 = T.CreateTruncating(step.Beta2);
        // Bias corrections are computed once per step in double, identically on every backend.
        T correction1 = T.CreateTruncating(1 - Math.Pow(step.Beta1, step.Step));
        T correction2Sqrt = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(step.Beta2, step.Step)));
        var kind = step.Kind;
        CpuParallel.For(parameters.Length, 16384, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                T p = parameters[i], g = gradients[i];
                if (kind == OptimizerKind.AdamW) p -= lr * wd * p;
                else g += wd * p;
                switch (kind)
                {
                    case OptimizerKind.Sgd: p -= lr * g; break;
                    case OptimizerKind.Momentum:
                    case OptimizerKind.Nesterov:
                    {
                        T v = mu * state1[i] + g;
                        state1[i] = v;
                        p -= lr * (kind == OptimizerKind.Nesterov ? g + mu * v : v);
                        break;
                    }
                    case OptimizerKind.RmsProp:
                    {
                        T s = rho * state1[i] + (T.One - rho) * g * g;
                        state1[i] = s;
                        p -= lr * g / (T.Sqrt(s) + eps);
                        break;
                    }
                    case OptimizerKind.Adam:
                    case OptimizerKind.AdamW:
                    {
                        T m = b1 * state1[i] + (T.One - b1) * g;
                        T v = b2 * state2[i] + (T.One - b2) * g * g;
                        state1[i] = m;
                        state2[i] = v;
                        p -= lr * (m / correction1) / (T.Sqrt(v) / correction2Sqrt + eps);
                        break;
                    }
                    default: throw new ArgumentOutOfRangeException(nameof(step), kind, "unknown optimizer");
                }
                parameters[i] = p;
            }
        });
    }
}

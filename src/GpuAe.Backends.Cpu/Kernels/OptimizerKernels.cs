using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>One pass over the flat parameter buffer per step (PyTorch's update rules), vectorised with
/// <see cref="Vector{T}"/>; the tail runs the same arithmetic one element at a time.</summary>
internal static class OptimizerKernels
{
    public static bool NeedsState1(OptimizerKind kind) => kind != OptimizerKind.Sgd;
    public static bool NeedsState2(OptimizerKind kind) => kind is OptimizerKind.Adam or OptimizerKind.AdamW;

    /// <summary>Per-step constants, as vectors so the element loop does no conversions.</summary>
    private readonly struct Constants<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly Vector<T> Lr, Decay, Mu, Rho, OneMinusRho, Eps, B1, OneMinusB1, B2, OneMinusB2, InvCorrection1, InvCorrection2Sqrt;

        public Constants(in OptimizerStep s)
        {
            static Vector<T> V(double v) => new(T.CreateTruncating(v));
            Lr = V(s.LearningRate); Decay = V(s.WeightDecay); Mu = V(s.Momentum); Rho = V(s.Rho); OneMinusRho = V(1 - (double)s.Rho);
            Eps = V(s.Epsilon); B1 = V(s.Beta1); OneMinusB1 = V(1 - (double)s.Beta1); B2 = V(s.Beta2); OneMinusB2 = V(1 - (double)s.Beta2);
            // Bias corrections are computed once per step in double, identically on every backend.
            InvCorrection1 = V(1 / (1 - Math.Pow(s.Beta1, s.Step)));
            InvCorrection2Sqrt = V(1 / Math.Sqrt(1 - Math.Pow(s.Beta2, s.Step)));
        }
    }

    public static void Update<T>(OptimizerStep step, HostView<T> parameters, HostView<T> gradients, HostView<T> state1, HostView<T> state2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = new Constants<T>(step);
        var kind = step.Kind;
        int width = Vector<T>.Count;
        CpuParallel.For((parameters.Length + width - 1) / width, 2048, (first, last) =>
        {
            int start = first * width, end = Math.Min(last * width, parameters.Length);
            var p = parameters.Part(start, end - start);
            var g = gradients.Part(start, end - start);
            var s1 = state1.Data is null ? default : state1.Part(start, end - start);
            var s2 = state2.Data is null ? default : state2.Part(start, end - start);
            int i = 0;
            for (; i <= p.Length - width; i += width)
                Apply(kind, c, p[i..], g[i..], s1.IsEmpty ? default : s1[i..], s2.IsEmpty ? default : s2[i..]);
            if (i < p.Length)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                Span<T> tail = stackalloc T[4 * width];
                tail.Clear();
                int n = p.Length - i;
                p[i..].CopyTo(tail); g[i..].CopyTo(tail[width..]);
                if (!s1.IsEmpty) s1[i..].CopyTo(tail[(2 * width)..]);
                if (!s2.IsEmpty) s2[i..].CopyTo(tail[(3 * width)..]);
                Apply(kind, c, tail, tail[width..], tail[(2 * width)..], tail[(3 * width)..]);
                tail[..n].CopyTo(p[i..]);
                if (!s1.IsEmpty) tail.Slice(2 * width, n).CopyTo(s1[i..]);
                if (!s2.IsEmpty) tail.Slice(3 * width, n).CopyTo(s2[i..]);
            }
        });
    }

    private static void Apply<T>(OptimizerKind kind, in Constants<T> c, Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> state1, Span<T> state2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = new Vector<T>(parameters);
        var g = new Vector<T>(gradients);
        if (kind == OptimizerKind.AdamW) p -= c.Lr * c.Decay * p;
        else g += c.Decay * p;
        switch (kind)
        {
            case OptimizerKind.Sgd:
                p -= c.Lr * g;
                break;
            case OptimizerKind.Momentum:
            case OptimizerKind.Nesterov:
            {
                var v = c.Mu * new Vector<T>(state1) + g;
                v.CopyTo(state1);
                p -= c.Lr * (kind == OptimizerKind.Nesterov ? g + c.Mu * v : v);
                break;
            }
            case OptimizerKind.RmsProp:
            {
                var s = c.Rho * new Vector<T>(state1) + c.OneMinusRho * g * g;
                s.CopyTo(state1);
                p -= c.Lr * g / (Vector.SquareRoot(s) + c.Eps);
                break;
            }
            case OptimizerKind.Adam:
            case OptimizerKind.AdamW:
            {
                var m = c.B1 * new Vector<T>(state1) + c.OneMinusB1 * g;
                var v = c.B2 * new Vector<T>(state2) + c.OneMinusB2 * g * g;
                m.CopyTo(state1);
                v.CopyTo(state2);
                p -= c.Lr * (m * c.InvCorrection1) / (Vector.SquareRoot(v) * c.InvCorrection2Sqrt + c.Eps);
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer");
        }
        p.CopyTo(parameters);
    }
}

using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>One pass over the flat parameter buffer per step (PyTorch's update rules, operation by operation and with
/// the same fused multiply-adds as kernels/opencl/optim.cl), vectorised with <see cref="Vector{T}"/>; the tail runs the
/// same code on a padded copy.</summary>
internal static class OptimizerKernels
{
    /// <summary>The step's scalars (<see cref="OptimizerStep.Scalars"/>, formed in double, converted to T once), as vectors.</summary>
    private readonly struct Constants<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly Vector<T> C1, C1Complement, C2, C2Complement, Eps, L2, StepSize, Aux, Decay;
        public readonly bool Centered, RmsMomentum, HasL2;

        public Constants(in OptimizerStep s)
        {
            static Vector<T> V(double v) => new(T.CreateTruncating(v));
            var c = s.Scalars();
            C1 = V(c.C1); C1Complement = V(c.C1Complement); C2 = V(c.C2); C2Complement = V(c.C2Complement);
            Eps = V(c.Epsilon); L2 = V(c.L2); StepSize = V(c.StepSize); Aux = V(c.Aux); Decay = V(c.Decay);
            Centered = s.UsesState3;
            RmsMomentum = T.CreateTruncating(c.C2) != T.Zero;
            HasL2 = T.CreateTruncating(c.L2) != T.Zero;
        }
    }

    public static void Update<T>(OptimizerStep step, HostView<T> parameters, HostView<T> gradients, HostView<T> state1, HostView<T> state2, HostView<T> state3)
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
            var s3 = state3.Data is null ? default : state3.Part(start, end - start);
            int i = 0;
            for (; i <= p.Length - width; i += width)
                Apply(kind, c, p[i..], g[i..], s1.IsEmpty ? default : s1[i..], s2.IsEmpty ? default : s2[i..], s3.IsEmpty ? default : s3[i..]);
            if (i < p.Length)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                Span<T> tail = stackalloc T[5 * width];
                tail.Clear();
                int n = p.Length - i;
                p[i..].CopyTo(tail); g[i..].CopyTo(tail[width..]);
                if (!s1.IsEmpty) s1[i..].CopyTo(tail[(2 * width)..]);
                if (!s2.IsEmpty) s2[i..].CopyTo(tail[(3 * width)..]);
                if (!s3.IsEmpty) s3[i..].CopyTo(tail[(4 * width)..]);
                Apply(kind, c, tail, tail[width..], tail[(2 * width)..], tail[(3 * width)..], tail[(4 * width)..]);
                tail[..n].CopyTo(p[i..]);
                if (!s1.IsEmpty) tail.Slice(2 * width, n).CopyTo(s1[i..]);
                if (!s2.IsEmpty) tail.Slice(3 * width, n).CopyTo(s2[i..]);
                if (!s3.IsEmpty) tail.Slice(4 * width, n).CopyTo(s3[i..]);
            }
        });
    }

    /// <summary>a·b + c rounded once, as torch's add(alpha=) and addcmul are on the CPU (and the GPU kernels' fma).</summary>
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        throw new NotSupportedException($"optimizer update in {typeof(T).Name}");
    }

    private static void Apply<T>(OptimizerKind kind, in Constants<T> c, Span<T> parameters, ReadOnlySpan<T> gradients,
        Span<T> state1, Span<T> state2, Span<T> state3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = new Vector<T>(parameters);
        var g = new Vector<T>(gradients);
        if (c.HasL2) g = Fma(p, c.L2, g);
        switch (kind)
        {
            case OptimizerKind.Sgd:
                p = Fma(g, -c.StepSize, p);
                break;
            case OptimizerKind.Momentum:
            case OptimizerKind.Nesterov:
            {
                var b = Fma(g, c.Aux, new Vector<T>(state1) * c.C1);
                b.CopyTo(state1);
                g = kind == OptimizerKind.Nesterov ? Fma(b, c.C1, g) : b;
                p = Fma(g, -c.StepSize, p);
                break;
            }
            case OptimizerKind.RmsProp:
            {
                var square = Fma(c.C1Complement * g, g, new Vector<T>(state1) * c.C1);
                square.CopyTo(state1);
                Vector<T> average;
                if (c.Centered)
                {
                    var mean = Fma(g, c.C1Complement, new Vector<T>(state3) * c.C1);
                    mean.CopyTo(state3);
                    average = Vector.SquareRoot(Fma(-mean, mean, square));
                }
                else average = Vector.SquareRoot(square);
                average += c.Eps;
                if (c.RmsMomentum)
                {
                    var b = new Vector<T>(state2) * c.C2 + g / average;
                    b.CopyTo(state2);
                    p = Fma(b, -c.StepSize, p);
                }
                else p -= c.StepSize * g / average;
                break;
            }
            case OptimizerKind.Adam:
            case OptimizerKind.AdamW:
            {
                if (kind == OptimizerKind.AdamW) p *= c.Decay;
                var m = Fma(g, c.C1Complement, new Vector<T>(state1) * c.C1);
                var v = Fma(c.C2Complement * g, g, new Vector<T>(state2) * c.C2);
                m.CopyTo(state1);
                v.CopyTo(state2);
                p -= c.StepSize * m / (Vector.SquareRoot(v) / c.Aux + c.Eps);
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer");
        }
        p.CopyTo(parameters);
    }
}

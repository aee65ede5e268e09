using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
            int whole = p.Length / width * width;
            Apply(kind, c, p, g, s1, s2, s3, whole);
            if (whole < p.Length)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                Span<T> tail = stackalloc T[5 * width];
                tail.Clear();
                int n = p.Length - whole;
                p[whole..].CopyTo(tail); g[whole..].CopyTo(tail[width..]);
                if (!s1.IsEmpty) s1[whole..].CopyTo(tail[(2 * width)..]);
                if (!s2.IsEmpty) s2[whole..].CopyTo(tail[(3 * width)..]);
                if (!s3.IsEmpty) s3[whole..].CopyTo(tail[(4 * width)..]);
                Apply(kind, c, tail[..width], tail.Slice(width, width), tail.Slice(2 * width, width), tail.Slice(3 * width, width),
                    tail.Slice(4 * width, width), width);
                tail[..n].CopyTo(p[whole..]);
                if (!s1.IsEmpty) tail.Slice(2 * width, n).CopyTo(s1[whole..]);
                if (!s2.IsEmpty) tail.Slice(3 * width, n).CopyTo(s2[whole..]);
                if (!s3.IsEmpty) tail.Slice(4 * width, n).CopyTo(s3[whole..]);
            }
        });
    }

    /// <summary>a·b + c rounded once, as torch's add(alpha=) and addcmul are on the CPU (and the GPU kernels' fma).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        throw new NotSupportedException($"optimizer update in {typeof(T).Name}");
    }

    /// <summary>Updates the first <paramref name="length"/> elements (a multiple of the vector width) with one loop per
    /// rule, so the rule is chosen once per chunk, not once per vector. A state span the rule does not use may be empty.</summary>
    private static void Apply<T>(OptimizerKind kind, in Constants<T> c, Span<T> parameters, ReadOnlySpan<T> gradients,
        Span<T> state1, Span<T> state2, Span<T> state3, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (length == 0) return;
        // Every span the rule reads or writes holds at least `length` elements (checked once here, not per vector).
        if (parameters.Length < length || gradients.Length < length) throw new ArgumentException("optimizer spans shorter than the update");
        ref T p = ref MemoryMarshal.GetReference(parameters);
        ref readonly T g = ref MemoryMarshal.GetReference(gradients);
        switch (kind)
        {
            case OptimizerKind.Sgd:
                Sgd(c, ref p, in g, length);
                break;
            case OptimizerKind.Momentum:
            case OptimizerKind.Nesterov:
                Momentum(c, kind == OptimizerKind.Nesterov, ref p, in g, ref Required(state1, length), length);
                break;
            case OptimizerKind.RmsProp:
            {
                ref T momentum = ref c.RmsMomentum ? ref Required(state2, length) : ref Unsafe.NullRef<T>();
                ref T mean = ref c.Centered ? ref Required(state3, length) : ref Unsafe.NullRef<T>();
                RmsProp(c, ref p, in g, ref Required(state1, length), ref momentum, ref mean, length);
                break;
            }
            case OptimizerKind.Adam:
            case OptimizerKind.AdamW:
                Adam(c, kind == OptimizerKind.AdamW, ref p, in g, ref Required(state1, length), ref Required(state2, length), length);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer");
        }
    }

    private static ref T Required<T>(Span<T> state, int length)
    {
        if (state.Length < length) throw new ArgumentException($"optimizer state holds {state.Length} elements, the update needs {length}");
        return ref MemoryMarshal.GetReference(state);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Gradient<T>(in Constants<T> c, ref readonly T g, Vector<T> p, nuint i)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gradient = Vector.LoadUnsafe(in g, i);
        return c.HasL2 ? Fma(p, c.L2, gradient) : gradient;
    }

    private static void Sgd<T>(in Constants<T> c, ref T p, ref readonly T g, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < (nuint)length; i += (nuint)Vector<T>.Count)
        {
            var pv = Vector.LoadUnsafe(ref p, i);
            Fma(Gradient(c, in g, pv, i), -c.StepSize, pv).StoreUnsafe(ref p, i);
        }
    }

    private static void Momentum<T>(in Constants<T> c, bool nesterov, ref T p, ref readonly T g, ref T buffer, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < (nuint)length; i += (nuint)Vector<T>.Count)
        {
            var pv = Vector.LoadUnsafe(ref p, i);
            var gv = Gradient(c, in g, pv, i);
            var b = Fma(gv, c.Aux, Vector.LoadUnsafe(ref buffer, i) * c.C1);
            b.StoreUnsafe(ref buffer, i);
            gv = nesterov ? Fma(b, c.C1, gv) : b;
            Fma(gv, -c.StepSize, pv).StoreUnsafe(ref p, i);
        }
    }

    private static void RmsProp<T>(in Constants<T> c, ref T p, ref readonly T g, ref T square, ref T momentum, ref T mean, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < (nuint)length; i += (nuint)Vector<T>.Count)
        {
            var pv = Vector.LoadUnsafe(ref p, i);
            var gv = Gradient(c, in g, pv, i);
            var sq = Fma(c.C1Complement * gv, gv, Vector.LoadUnsafe(ref square, i) * c.C1);
            sq.StoreUnsafe(ref square, i);
            Vector<T> average;
            if (c.Centered)
            {
                var mv = Fma(gv, c.C1Complement, Vector.LoadUnsafe(ref mean, i) * c.C1);
                mv.StoreUnsafe(ref mean, i);
                average = Vector.SquareRoot(Fma(-mv, mv, sq));
            }
            else average = Vector.SquareRoot(sq);
            average += c.Eps;
            if (c.RmsMomentum)
            {
                var b = Vector.LoadUnsafe(ref momentum, i) * c.C2 + gv / average;
                b.StoreUnsafe(ref momentum, i);
                pv = Fma(b, -c.StepSize, pv);
            }
            else pv -= c.StepSize * gv / average;
            pv.StoreUnsafe(ref p, i);
        }
    }

    private static void Adam<T>(in Constants<T> c, bool decoupled, ref T p, ref readonly T g, ref T first, ref T second, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < (nuint)length; i += (nuint)Vector<T>.Count)
        {
            var pv = Vector.LoadUnsafe(ref p, i);
            var gv = Gradient(c, in g, pv, i);
            if (decoupled) pv *= c.Decay;
            var m = Fma(gv, c.C1Complement, Vector.LoadUnsafe(ref first, i) * c.C1);
            var v = Fma(c.C2Complement * gv, gv, Vector.LoadUnsafe(ref second, i) * c.C2);
            m.StoreUnsafe(ref first, i);
            v.StoreUnsafe(ref second, i);
            pv -= c.StepSize * m / (Vector.SquareRoot(v) / c.Aux + c.Eps);
            pv.StoreUnsafe(ref p, i);
        }
    }
}

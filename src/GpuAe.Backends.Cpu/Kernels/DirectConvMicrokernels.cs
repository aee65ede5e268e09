using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// The register-blocked inner loops of the unit-stride direct convolution (see <see cref="DirectConvLayout"/>).
/// Correlation: several outputs x several vectors of grid pixels held in accumulators while the loop runs over the
/// taps, each input vector loaded once and reused across the outputs, weights broadcast. Filter gradient: several
/// filters x several taps of dot products over the grid, each gradient vector reused across the taps and each input
/// vector across the filters. Callers check the spans' lengths once (<see cref="CheckReach"/>); the loops then read
/// through unchecked references.
/// </summary>
internal static class DirectConvMicrokernels
{
    /// <summary>Outputs per correlation block and filters per gradient block.</summary>
    public const int Outputs = 4;

    /// <summary>Taps per gradient block of <see cref="Outputs"/> filters, and per single-filter gradient block.</summary>
    public const int GradientTaps = 3, SingleGradientTaps = 4;

    /// <summary>The tap lists are padded to a multiple of both gradient blocks.</summary>
    public const int TapMultiple = GradientTaps * SingleGradientTaps;

    /// <summary>Throws unless reading <paramref name="reach"/> elements from every offset stays inside <paramref name="length"/>.</summary>
    public static void CheckReach(ReadOnlySpan<int> offsets, int reach, int length)
    {
        foreach (int offset in offsets)
            if (offset < 0 || (long)offset + reach > length)
                throw new InvalidOperationException($"direct convolution: tap offset {offset} + {reach} leaves its buffer of {length} elements");
    }

    /// <summary>
    /// grid[o, q] = bias[o] + Σ_t weights[t, o] · input[offsets[t] + q] for <see cref="Outputs"/> outputs and q in
    /// [0, gridStride); weights packed [tap][Outputs]. gridStride is a multiple of two vectors.
    /// </summary>
    public static void Correlate4<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, ReadOnlySpan<T> weights,
        ReadOnlySpan<T> bias, Span<T> grid, int gridStride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, taps = offsets.Length;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        ref T output = ref MemoryMarshal.GetReference(grid);
        Vector<T> b0 = new(bias[0]), b1 = new(bias[1]), b2 = new(bias[2]), b3 = new(bias[3]);
        for (int q = 0; q < gridStride; q += 2 * width)
        {
            Vector<T> a00 = b0, a01 = b0, a10 = b1, a11 = b1, a20 = b2, a21 = b2, a30 = b3, a31 = b3;
            ref T w = ref MemoryMarshal.GetReference(weights);
            for (int t = 0; t < taps; t++, w = ref Unsafe.Add(ref w, Outputs))
            {
                ref T source = ref Unsafe.Add(ref x, Unsafe.Add(ref offset, t) + q);
                var x0 = Vector.LoadUnsafe(ref source);
                var x1 = Vector.LoadUnsafe(ref source, (nuint)width);
                var w0 = new Vector<T>(w);
                a00 = MulAdd(w0, x0, a00); a01 = MulAdd(w0, x1, a01);
                var w1 = new Vector<T>(Unsafe.Add(ref w, 1));
                a10 = MulAdd(w1, x0, a10); a11 = MulAdd(w1, x1, a11);
                var w2 = new Vector<T>(Unsafe.Add(ref w, 2));
                a20 = MulAdd(w2, x0, a20); a21 = MulAdd(w2, x1, a21);
                var w3 = new Vector<T>(Unsafe.Add(ref w, 3));
                a30 = MulAdd(w3, x0, a30); a31 = MulAdd(w3, x1, a31);
            }
            Store(a00, a01, ref Unsafe.Add(ref output, q), width);
            Store(a10, a11, ref Unsafe.Add(ref output, gridStride + q), width);
            Store(a20, a21, ref Unsafe.Add(ref output, 2 * gridStride + q), width);
            Store(a30, a31, ref Unsafe.Add(ref output, 3 * gridStride + q), width);
        }
    }

    /// <summary>grid[q] = bias + Σ_t weights[t] · input[offsets[t] + q] for one output over q in [0, gridStride), four
    /// vectors at a time (gridStride is a multiple of four vectors).</summary>
    public static void Correlate1<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, ReadOnlySpan<T> weights,
        T bias, Span<T> grid, int gridStride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, taps = offsets.Length;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        ref T w = ref MemoryMarshal.GetReference(weights);
        ref T output = ref MemoryMarshal.GetReference(grid);
        Vector<T> b = new(bias);
        for (int q = 0; q < gridStride; q += 4 * width)
        {
            Vector<T> a0 = b, a1 = b, a2 = b, a3 = b;
            for (int t = 0; t < taps; t++)
            {
                ref T source = ref Unsafe.Add(ref x, Unsafe.Add(ref offset, t) + q);
                var weight = new Vector<T>(Unsafe.Add(ref w, t));
                a0 = MulAdd(weight, Vector.LoadUnsafe(ref source), a0);
                a1 = MulAdd(weight, Vector.LoadUnsafe(ref source, (nuint)width), a1);
                a2 = MulAdd(weight, Vector.LoadUnsafe(ref source, (nuint)(2 * width)), a2);
                a3 = MulAdd(weight, Vector.LoadUnsafe(ref source, (nuint)(3 * width)), a3);
            }
            Store(a0, a1, ref Unsafe.Add(ref output, q), width);
            Store(a2, a3, ref Unsafe.Add(ref output, q + 2 * width), width);
        }
    }

    /// <summary>
    /// sums[f * stride + j] += Σ_image Σ_q dz[image, f, q] · input[image, offsets[j] + q] for <see cref="Outputs"/> filters f
    /// and the <see cref="GradientTaps"/> taps j, q over [0, GridStride) (a multiple of one vector; dz zero where the
    /// grid has no output). The accumulators run over all the pass's images before their one horizontal sum each.
    /// </summary>
    public static void Gradient4<T>(ReadOnlySpan<T> dz, ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, in GradientPass pass,
        Span<T> sums, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, gridStride = pass.GridStride;
        Vector<T> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector<T> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        for (int image = 0; image < pass.Images; image++)
        {
            ref T d = ref Unsafe.Add(ref MemoryMarshal.GetReference(dz), image * pass.DzImageStride);
            ref T x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), image * pass.InputImageStride);
            ref T x0 = ref Unsafe.Add(ref x, offsets[0]);
            ref T x1 = ref Unsafe.Add(ref x, offsets[1]);
            ref T x2 = ref Unsafe.Add(ref x, offsets[2]);
            for (int q = 0; q < gridStride; q += width)
            {
                var i0 = Vector.LoadUnsafe(ref x0, (nuint)q);
                var i1 = Vector.LoadUnsafe(ref x1, (nuint)q);
                var i2 = Vector.LoadUnsafe(ref x2, (nuint)q);
                var d0 = Vector.LoadUnsafe(ref d, (nuint)q);
                a00 = MulAdd(d0, i0, a00); a01 = MulAdd(d0, i1, a01); a02 = MulAdd(d0, i2, a02);
                var d1 = Vector.LoadUnsafe(ref d, (nuint)(gridStride + q));
                a10 = MulAdd(d1, i0, a10); a11 = MulAdd(d1, i1, a11); a12 = MulAdd(d1, i2, a12);
                var d2 = Vector.LoadUnsafe(ref d, (nuint)(2 * gridStride + q));
                a20 = MulAdd(d2, i0, a20); a21 = MulAdd(d2, i1, a21); a22 = MulAdd(d2, i2, a22);
                var d3 = Vector.LoadUnsafe(ref d, (nuint)(3 * gridStride + q));
                a30 = MulAdd(d3, i0, a30); a31 = MulAdd(d3, i1, a31); a32 = MulAdd(d3, i2, a32);
            }
        }
        AddSums(sums, 0, a00, a01, a02);
        AddSums(sums, stride, a10, a11, a12);
        AddSums(sums, 2 * stride, a20, a21, a22);
        AddSums(sums, 3 * stride, a30, a31, a32);
    }

    /// <summary>sums[j] += Σ_image Σ_q dz[image, q] · input[image, offsets[j] + q] for one filter and <see cref="SingleGradientTaps"/> taps.</summary>
    public static void Gradient1<T>(ReadOnlySpan<T> dz, ReadOnlySpan<T> input, ReadOnlySpan<int> offsets, in GradientPass pass, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, gridStride = pass.GridStride;
        Vector<T> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int image = 0; image < pass.Images; image++)
        {
            ref T d = ref Unsafe.Add(ref MemoryMarshal.GetReference(dz), image * pass.DzImageStride);
            ref T x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), image * pass.InputImageStride);
            ref T x0 = ref Unsafe.Add(ref x, offsets[0]);
            ref T x1 = ref Unsafe.Add(ref x, offsets[1]);
            ref T x2 = ref Unsafe.Add(ref x, offsets[2]);
            ref T x3 = ref Unsafe.Add(ref x, offsets[3]);
            for (int q = 0; q < gridStride; q += width)
            {
                var g = Vector.LoadUnsafe(ref d, (nuint)q);
                a0 = MulAdd(g, Vector.LoadUnsafe(ref x0, (nuint)q), a0);
                a1 = MulAdd(g, Vector.LoadUnsafe(ref x1, (nuint)q), a1);
                a2 = MulAdd(g, Vector.LoadUnsafe(ref x2, (nuint)q), a2);
                a3 = MulAdd(g, Vector.LoadUnsafe(ref x3, (nuint)q), a3);
            }
        }
        AddSums(sums, 0, a0, a1, a2);
        sums[3] += Vector.Sum(a3);
    }

    private static void AddSums<T>(Span<T> sums, int start, Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        sums[start] += Vector.Sum(a);
        sums[start + 1] += Vector.Sum(b);
        sums[start + 2] += Vector.Sum(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> first, Vector<T> second, ref T destination, int width) where T : unmanaged
    {
        first.StoreUnsafe(ref destination);
        second.StoreUnsafe(ref destination, (nuint)width);
    }

    /// <summary>a·b + c, fused where the hardware has FMA (rounded once; the same bits on every run of one machine).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MulAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float))
                return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double))
                return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }
        return a * b + c;
    }
}

/// <summary>The extent of one filter-gradient pass: <see cref="Images"/> images whose dz grids and padded inputs lie
/// <see cref="DzImageStride"/> and <see cref="InputImageStride"/> elements apart, grids of <see cref="GridStride"/>.</summary>
internal readonly record struct GradientPass(int Images, int GridStride, int DzImageStride, int InputImageStride);

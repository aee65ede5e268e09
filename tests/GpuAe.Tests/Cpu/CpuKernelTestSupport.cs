using GpuAe.Backends;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// Shared plumbing of the CPU kernel tests: moving arrays through <see cref="IBackend"/> and comparing
/// float32 results with double-precision references computed by naive loops in the tests.
/// Default tolerance (float32): |got - ref| &lt;= 1e-5 + 1e-5 * |ref|.
/// </summary>
internal static class Kernel
{
    public const double Abs = 1e-5, Rel = 1e-5;

    /// <summary>The values in a view at an offset inside a larger buffer whose other elements are NaN, so a
    /// kernel that ignores the view offset or reads past the view shows up.</summary>
    public static BufferView Reals(this IBackend backend, float[] values)
    {
        var buffer = backend.Allocate(values.Length + 5);
        backend.Fill(buffer.All, float.NaN);
        var view = buffer.Slice(2, values.Length);
        backend.Upload(view, values);
        return view;
    }

    public static BufferView Reals(this IBackend backend, double[] values) => backend.Reals(ToFloats(values));

    public static BufferView Integers(this IBackend backend, int[] values)
    {
        var view = backend.Allocate(values.Length, ElementType.Int32).All;
        backend.Upload(view, values);
        return view;
    }

    public static float[] Floats(this IBackend backend, BufferView view)
    {
        var values = new float[view.Length];
        backend.Download(view, values);
        return values;
    }

    public static int[] Ints(this IBackend backend, BufferView view)
    {
        var values = new int[view.Length];
        backend.Download(view, values);
        return values;
    }

    /// <summary>Uniform in [lo, hi), already rounded to float32 so references see the kernel's inputs.</summary>
    public static double[] RandomValues(System.Random random, long length, double lo = -1, double hi = 1)
    {
        var values = new double[length];
        for (long i = 0; i < length; i++) values[i] = (float)(lo + (hi - lo) * random.NextDouble());
        return values;
    }

    public static float[] ToFloats(double[] values) => Array.ConvertAll(values, v => (float)v);

    public static double Dot(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    public static double Dot(double[] a, float[] b) => Dot(ToFloats(a), b);

    /// <summary>Σ |a_i b_i|: the scale of a dot product's rounding error.</summary>
    public static double DotMagnitude(double[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] * b[i]);
        return sum;
    }

    /// <summary>Elementwise |got - ref| &lt;= abs + rel * |ref|, naming the first offending index.</summary>
    public static void AssertClose(double[] expected, float[] actual, string context, double abs = Abs, double rel = Rel)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            AssertClose(expected[i], actual[i], $"{context} [{i}]", abs, rel);
    }

    public static void AssertClose(double expected, double actual, string context, double abs = Abs, double rel = Rel)
    {
        double tolerance = abs + rel * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{context}: got {actual:R}, expected {expected:R} ± {tolerance:G3}");
    }

    /// <summary>Adjoint (dot-product) check: &lt;A x, c&gt; == &lt;x, Aᵀ c&gt; up to float32 rounding,
    /// 1e-5 * (1 + magnitude) where magnitude is the sum of |terms| of one of the dot products.</summary>
    public static void AssertAdjoint(double forwardDot, double adjointDot, double magnitude, string context) =>
        Assert.True(Math.Abs(forwardDot - adjointDot) <= 1e-5 * (1 + magnitude),
            $"{context}: <A x, c> = {forwardDot:R}, <x, A^T c> = {adjointDot:R}");
}

/// <summary>Theory cases identified by a short readable name (xunit shows one test per name).</summary>
internal sealed class NamedCases<T>(params (string Name, T Value)[] cases)
{
    public TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var (name, _) in cases) data.Add(name);
            return data;
        }
    }

    public T this[string name] => cases.Single(c => c.Name == name).Value;
}

using System.Globalization;
using GpuAe.Backends;

namespace GpuAe.Conformance;

/// <summary>
/// Runs every kernel of the ABI on a subject backend and on a reference backend (the CPU backend) with
/// the same inputs and compares the outputs element by element with a stated tolerance
/// (|subject - reference| &lt;= abs + rel·|reference|). Shapes: 1, primes, sizes that are not multiples
/// of any tile, and the autoencoders' own shapes. Every view sits at a nonzero offset inside a larger
/// buffer whose padding is compared too, so a kernel that ignores offsets or writes outside its view
/// fails. Used by <c>dotnet test</c> (OpenCL on PoCL in CI) and <c>gpuae selftest</c>.
/// </summary>
public static partial class ConformanceSuite
{
    public const int DefaultSeed = 20261125;

    /// <summary>Kernel names in run order (filters for <see cref="Run"/> match these, or their stem before " (").</summary>
    public static IReadOnlyList<string> KernelNames => Checks.Select(c => c.Name).ToArray();

    /// <summary>Runs the suite. <paramref name="onLine"/> receives one line per kernel as it finishes.
    /// <paramref name="only"/> restricts the run to the named kernels (case-insensitive).</summary>
    public static ConformanceReport Run(IBackend reference, IBackend subject, Action<string>? onLine = null,
        int seed = DefaultSeed, IReadOnlyCollection<string>? only = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(subject);
        var reports = new List<KernelReport>();
        foreach (var check in Checks)
        {
            if (only is not null && !only.Any(o => string.Equals(o, check.Name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(o, Stem(check.Name), StringComparison.OrdinalIgnoreCase))) continue;
            var session = new Session(reference, subject, check.Name, check.Tolerance, seed ^ StableHash(check.Name));
            check.Body(session);
            var report = session.Report();
            reports.Add(report);
            onLine?.Invoke(report.ToString());
        }
        return new ConformanceReport(reference.DeviceName, subject.DeviceName, seed, reports);
    }

    private static string Stem(string name) => name.Split(" (")[0];

    private static int StableHash(string text)
    {
        unchecked
        {
            int h = (int)2166136261;
            foreach (char c in text) h = (h ^ c) * 16777619;
            return h;
        }
    }

    private sealed record Check(string Name, Tolerance Tolerance, Action<Session> Body);

    /// <summary>One buffer on both backends: the view under test sits at an offset inside padding.</summary>
    private readonly record struct Pair(BufferView R, BufferView S, DeviceBuffer RBuffer, DeviceBuffer SBuffer, int Length);

    /// <summary>State of one kernel's run: both backends, the random source, the running comparison.</summary>
    private sealed partial class Session(IBackend reference, IBackend subject, string kernel, Tolerance tolerance, int seed)
    {
        private readonly List<DeviceBuffer> _owned = [];
        private int _cases, _failed;
        private double _maxAbs, _worst;
        private string? _firstFailure;
        private string _case = "";
        private bool _caseFailed;

        public IBackend Ref => reference;
        public IBackend Sub => subject;
        public System.Random Random { get; } = new(seed);
        public Tolerance Tolerance => tolerance;

        public KernelReport Report() => new(kernel, _cases, _failed, _maxAbs, _worst, tolerance, _firstFailure);

        /// <summary>Runs one case: <paramref name="body"/> sets up inputs, launches both backends and compares.</summary>
        public void Case(string description, Action body)
        {
            _case = description;
            _caseFailed = false;
            _cases++;
            try
            {
                body();
            }
            catch (Exception e)
            {
                Fail($"threw {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
            finally
            {
                foreach (var buffer in _owned) buffer.Dispose();
                _owned.Clear();
            }
            if (_caseFailed) _failed++;
        }

        private void Fail(string what)
        {
            _caseFailed = true;
            _firstFailure ??= $"[{_case}] {what}";
        }

        public float[] Uniform(int length, float low = -1f, float high = 1f)
        {
            var data = new float[length];
            for (int i = 0; i < length; i++) data[i] = low + (high - low) * Random.NextSingle();
            return data;
        }

        /// <summary>Allocates the same data on both backends, at a random offset with sentinel padding around it.</summary>
        public Pair Real(float[] data)
        {
            int before = 1 + Random.Next(7), after = 1 + Random.Next(5);
            var full = new float[before + data.Length + after];
            for (int i = 0; i < full.Length; i++) full[i] = -777.25f - i;
            data.CopyTo(full, before);
            var r = Own(reference.Allocate(full.Length));
            var s = Own(subject.Allocate(full.Length));
            reference.Upload(r.All, full);
            subject.Upload(s.All, full);
            return new Pair(r.Slice(before, data.Length), s.Slice(before, data.Length), r, s, data.Length);
        }

        public Pair Real(int length, float fill = float.NaN)
        {
            var data = new float[length];
            Array.Fill(data, fill);
            return Real(data);
        }

        public Pair Ints(int[] data)
        {
            int before = 1 + Random.Next(3);
            var full = new int[before + data.Length + 2];
            for (int i = 0; i < full.Length; i++) full[i] = -12345 - i;
            data.CopyTo(full, before);
            var r = Own(reference.Allocate(full.Length, ElementType.Int32));
            var s = Own(subject.Allocate(full.Length, ElementType.Int32));
            reference.Upload(r.All, full);
            subject.Upload(s.All, full);
            return new Pair(r.Slice(before, data.Length), s.Slice(before, data.Length), r, s, data.Length);
        }

        private DeviceBuffer Own(DeviceBuffer buffer)
        {
            _owned.Add(buffer);
            return buffer;
        }

        /// <summary>The reference's current values of a pair (inside the view).</summary>
        public float[] ReferenceValues(Pair pair)
        {
            var values = new float[pair.Length];
            reference.Download(pair.R, values);
            return values;
        }

        public int[] ReferenceInts(Pair pair)
        {
            var values = new int[pair.Length];
            reference.Download(pair.R, values);
            return values;
        }

        /// <summary>Compares the whole buffers (view and padding) with the kernel's tolerance, or <paramref name="custom"/>.</summary>
        public void Compare(string what, Pair pair, Tolerance? custom = null)
        {
            var tol = custom ?? tolerance;
            var r = new float[pair.RBuffer.Length];
            var s = new float[pair.SBuffer.Length];
            reference.Download(pair.RBuffer.All, r);
            subject.Download(pair.SBuffer.All, s);
            long viewStart = pair.R.Offset, viewEnd = pair.R.Offset + pair.Length;
            for (int i = 0; i < r.Length; i++)
            {
                double want = r[i], got = s[i];
                bool inView = i >= viewStart && i < viewEnd;
                string where = inView ? $"{what}[{i - viewStart}]" : $"{what} padding[{i}] (written outside the view)";
                if (double.IsNaN(want) || double.IsNaN(got) || double.IsInfinity(want) || double.IsInfinity(got))
                {
                    if (!(double.IsNaN(want) && double.IsNaN(got)) && want != got)
                    {
                        Fail(string.Create(CultureInfo.InvariantCulture, $"{where}: reference {want:G9}, subject {got:G9}"));
                        _worst = double.PositiveInfinity;
                        return;
                    }
                    continue;
                }
                double error = Math.Abs(got - want);
                double allowed = inView ? tol.Allowed(want) : 0;
                _maxAbs = Math.Max(_maxAbs, error);
                double ratio = allowed > 0 ? error / allowed : error > 0 ? double.PositiveInfinity : 0;
                _worst = Math.Max(_worst, ratio);
                if (error > allowed)
                {
                    Fail(string.Create(CultureInfo.InvariantCulture, $"{where}: reference {want:G9}, subject {got:G9}, |err| {error:G3} > {allowed:G3}"));
                    return;
                }
            }
        }

        public void CompareInts(string what, Pair pair)
        {
            var r = new int[pair.RBuffer.Length];
            var s = new int[pair.SBuffer.Length];
            reference.Download(pair.RBuffer.All, r);
            subject.Download(pair.SBuffer.All, s);
            for (int i = 0; i < r.Length; i++)
                if (r[i] != s[i])
                {
                    Fail($"{what}[{i - pair.R.Offset}]: reference {r[i]}, subject {s[i]}");
                    return;
                }
        }
    }
}

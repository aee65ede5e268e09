using System.Globalization;

namespace GpuAe.Visualization;

/// <summary>What a chart asks of one axis: the data it must show, log scale, and optionally a fixed range.</summary>
internal sealed record AxisSpec(IEnumerable<double> Values, bool Log = false, double? FixedMin = null, double? FixedMax = null);

/// <summary>
/// One fitted chart axis: its range, the tick values to label (chosen with Heckbert's "nice numbers",
/// Graphics Gems 1990: steps of 1, 2 or 5 times a power of ten) and, on log axes, minor grid values.
/// </summary>
internal sealed class Axis
{
    private readonly double _lo, _hi; // in axis space: log10 of the value on log axes
    private readonly double _step;    // linear tick step, sets how many decimals labels need

    private Axis(double min, double max, bool log, double step, IReadOnlyList<double> ticks, IReadOnlyList<double> minorTicks)
    {
        Min = min;
        Max = max;
        Log = log;
        _lo = log ? Math.Log10(min) : min;
        _hi = log ? Math.Log10(max) : max;
        _step = step;
        Ticks = ticks;
        MinorTicks = minorTicks;
    }

    public double Min { get; }
    public double Max { get; }
    public bool Log { get; }
    public IReadOnlyList<double> Ticks { get; }
    public IReadOnlyList<double> MinorTicks { get; }

    /// <summary>Fits an axis to <paramref name="spec"/> with at most about <paramref name="maxTicks"/> labelled ticks.</summary>
    public static Axis Fit(AxisSpec spec, int maxTicks)
    {
        maxTicks = Math.Max(maxTicks, 2);
        var values = spec.Values.Where(v => double.IsFinite(v) && (!spec.Log || v > 0)).ToList();
        double min = spec.FixedMin ?? (values.Count > 0 ? values.Min() : spec.Log ? 1 : 0);
        double max = spec.FixedMax ?? (values.Count > 0 ? values.Max() : spec.Log ? 10 : 1);
        return spec.Log ? FitLog(min, max, maxTicks, spec.FixedMin.HasValue && spec.FixedMax.HasValue)
                        : FitLinear(min, max, maxTicks, spec.FixedMin.HasValue && spec.FixedMax.HasValue);
    }

    /// <summary>Where <paramref name="value"/> falls along the axis, 0 at <see cref="Min"/> and 1 at <see cref="Max"/>; NaN when it cannot be shown.</summary>
    public double Fraction(double value)
    {
        if (!double.IsFinite(value) || (Log && value <= 0))
            return double.NaN;
        double v = Log ? Math.Log10(value) : value;
        return (v - _lo) / (_hi - _lo);
    }

    /// <summary>The text printed at tick <paramref name="value"/>.</summary>
    public string Format(double value)
    {
        if (Log)
            return FormatNumber(value, Math.Max(0, -(int)Math.Floor(Math.Log10(value) + 1e-9)), value < 1e-4 || value >= 1e6);
        if (Math.Abs(value) < _step * 1e-6)
            value = 0; // rounding noise would print "-0.0"
        double magnitude = Math.Max(Math.Abs(Min), Math.Abs(Max));
        return FormatNumber(value, Math.Max(0, -(int)Math.Floor(Math.Log10(_step) + 1e-9)), magnitude >= 1e6 || _step < 1e-4);
    }

    private static string FormatNumber(double value, int decimals, bool scientific)
        => scientific ? value.ToString("0.###e-0", CultureInfo.InvariantCulture)
                      : value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    private static Axis FitLinear(double min, double max, int maxTicks, bool fixedRange)
    {
        if (max < min)
            (min, max) = (max, min);
        // A constant (or numerically constant) series still needs a visible range around it.
        if (max - min <= 1e-12 * Math.Max(Math.Abs(min), Math.Abs(max)))
        {
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceNumber((max - min) / (maxTicks - 1));
        double lo = fixedRange ? min : Math.Floor(min / step) * step;
        double hi = fixedRange ? max : Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (long i = (long)Math.Ceiling(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++)
            ticks.Add(i * step);
        return new Axis(lo, hi, log: false, step, ticks, []);
    }

    // Log axes snap to 1, 2 or 5 times a power of ten. Spans of up to two decades label those values;
    // wider spans label powers of ten only (every k-th when there are many) and grid the 2..9 between.
    private static Axis FitLog(double min, double max, int maxTicks, bool fixedRange)
    {
        if (max < min)
            (min, max) = (max, min);
        double lo = fixedRange ? min : SnapLog(min, up: false);
        double hi = fixedRange ? max : SnapLog(max, up: true);
        if (hi <= lo)
            (lo, hi) = (SnapLog(lo * 0.99, up: false), SnapLog(hi * 1.01, up: true));
        double decades = Math.Log10(hi / lo);
        if (decades > 2 && !fixedRange)
            (lo, hi) = (Math.Pow(10, Math.Floor(Math.Log10(lo) + 1e-9)), Math.Pow(10, Math.Ceiling(Math.Log10(hi) - 1e-9)));

        int firstDecade = (int)Math.Floor(Math.Log10(lo) + 1e-9), lastDecade = (int)Math.Ceiling(Math.Log10(hi) - 1e-9);
        int[] labelled = decades <= 2 ? [1, 2, 5] : [1];
        int stride = Math.Max(1, (int)Math.Ceiling((lastDecade - firstDecade + 1) / (double)maxTicks));
        var ticks = new List<double>();
        var minor = new List<double>();
        for (int d = firstDecade; d <= lastDecade; d++)
            for (int m = 1; m <= 9; m++)
            {
                double v = m * Math.Pow(10, d);
                if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9))
                    continue;
                if (labelled.Contains(m) && (m != 1 || (d - firstDecade) % stride == 0))
                    ticks.Add(v);
                else if (lastDecade - firstDecade <= 8)
                    minor.Add(v);
            }
        return new Axis(lo, hi, log: true, step: 0, ticks, minor);
    }

    // The nearest of 1, 2, 5 times a power of ten at or below (or above) v.
    private static double SnapLog(double v, bool up)
    {
        double decade = Math.Pow(10, Math.Floor(Math.Log10(v)));
        double[] steps = [1, 2, 5, 10];
        return up ? steps.Select(s => s * decade).First(s => s >= v * (1 - 1e-12))
                  : steps.Select(s => s * decade).Last(s => s <= v * (1 + 1e-12));
    }

    // The smallest of 1, 2, 5 or 10 times a power of ten that is at least x. Heckbert rounds to the
    // nearest one after first rounding the whole range up; rounding the step up instead keeps the tick
    // count at most maxTicks + 1 and the axis tight around the data.
    private static double NiceNumber(double x)
    {
        double exponent = Math.Floor(Math.Log10(x));
        double fraction = x / Math.Pow(10, exponent);
        double nice = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10;
        return nice * Math.Pow(10, exponent);
    }
}

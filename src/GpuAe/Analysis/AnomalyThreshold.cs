using System.Globalization;

namespace GpuAe.Analysis;

/// <summary>How the decision threshold is chosen from the scores of held-out normal samples.</summary>
public enum ThresholdKind
{
    /// <summary>The given percentile (0-100) of the normal scores, linearly interpolated (NumPy's default).</summary>
    Percentile,
    /// <summary>The lowest normal score that flags at most the given fraction (0-1) of the normal samples.</summary>
    FalsePositiveRate,
    /// <summary>The value itself, given by the user.</summary>
    Fixed,
}

/// <summary>A rule for the anomaly threshold: a sample whose score is above the threshold is flagged anomalous.</summary>
/// <param name="Kind">Percentile or target false-positive rate.</param>
/// <param name="Value">The percentile (0 &lt; p &lt; 100) or the false-positive rate (0 &lt; r &lt; 1).</param>
public readonly record struct ThresholdRule(ThresholdKind Kind, double Value)
{
    /// <summary>The default: the 99th percentile of the held-out normal scores.</summary>
    public static ThresholdRule Default => new(ThresholdKind.Percentile, 99);

    /// <summary>Checks the value is in range; <paramref name="option"/> names it in the error.</summary>
    /// <exception cref="ArgumentException">Out of range.</exception>
    public ThresholdRule Checked(string option)
    {
        bool ok = Kind switch
        {
            ThresholdKind.Percentile => Value is > 0 and < 100,
            ThresholdKind.FalsePositiveRate => Value is > 0 and < 1,
            _ => double.IsFinite(Value),
        };
        if (!ok)
        {
            string expected = Kind switch
            {
                ThresholdKind.Percentile => "a percentile between 0 and 100 (exclusive)",
                ThresholdKind.FalsePositiveRate => "a rate between 0 and 1 (exclusive)",
                _ => "a finite number",
            };
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option} {Value}: expected {expected}"));
        }
        return this;
    }

    /// <summary>The threshold for <paramref name="normalScores"/> (not modified).</summary>
    /// <exception cref="ArgumentException">No scores, or a score that is not finite.</exception>
    public double Pick(ReadOnlySpan<double> normalScores)
    {
        if (Kind == ThresholdKind.Fixed) return Value;
        if (normalScores.IsEmpty) throw new ArgumentException("a threshold needs the scores of at least one held-out normal sample");
        var sorted = normalScores.ToArray();
        if (Array.FindIndex(sorted, s => !double.IsFinite(s)) is var bad and >= 0)
            throw new ArgumentException($"held-out normal sample {bad} has score {sorted[bad]}; scores must be finite");
        Array.Sort(sorted);
        int n = sorted.Length;
        if (Kind == ThresholdKind.Percentile)
        {
            double position = Value / 100 * (n - 1);
            int low = (int)Math.Floor(position), high = Math.Min(low + 1, n - 1);
            return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
        }
        // at most floor(rate * n) normal samples may lie above the threshold (ties at it stay below)
        int allowed = (int)Math.Floor(Value * n + 1e-9);
        return sorted[n - 1 - Math.Min(allowed, n - 1)];
    }

    /// <summary>"percentile 99" or "false-positive rate 0.01".</summary>
    public override string ToString() => Kind switch
    {
        ThresholdKind.Percentile => string.Create(CultureInfo.InvariantCulture, $"percentile {Value:G6}"),
        ThresholdKind.FalsePositiveRate => string.Create(CultureInfo.InvariantCulture, $"false-positive rate {Value:G6}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"given as {Value:G6}"),
    };

    /// <summary>The JSON spelling of <see cref="Kind"/>: percentile, false_positive_rate or fixed.</summary>
    public string KindName => Kind switch
    {
        ThresholdKind.Percentile => "percentile",
        ThresholdKind.FalsePositiveRate => "false_positive_rate",
        _ => "fixed",
    };

    /// <summary>Parses <see cref="KindName"/>; null for anything else.</summary>
    public static ThresholdKind? ParseKind(string name) => name switch
    {
        "percentile" => ThresholdKind.Percentile,
        "false_positive_rate" => ThresholdKind.FalsePositiveRate,
        "fixed" => ThresholdKind.Fixed,
        _ => null,
    };
}

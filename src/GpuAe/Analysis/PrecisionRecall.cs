namespace GpuAe.Analysis;

/// <summary>Precision-recall curve and average precision for anomaly scores (higher = more anomalous; anomalies are the positives).</summary>
public static class PrecisionRecall
{
    /// <summary>
    /// The curve's points (recall, precision), one per distinct score from the highest down (ties enter together), after
    /// a first point (0, 1); and the average precision, the sum over those thresholds of (R_k - R_k-1) * P_k — the
    /// step-wise area scikit-learn's <c>average_precision_score</c> computes, without interpolation.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, or there is no anomaly (recall undefined).</exception>
    public static (List<(double Recall, double Precision)> Curve, double AveragePrecision) Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> anomalous)
    {
        if (scores.Length != anomalous.Length) throw new ArgumentException($"{scores.Length} scores for {anomalous.Length} labels");
        int positives = 0;
        foreach (bool a in anomalous) if (a) positives++;
        if (positives == 0) throw new ArgumentException($"precision-recall needs anomalies: none among {scores.Length} samples");
        var order = DescendingOrder(scores);
        var curve = new List<(double, double)> { (0, 1) };
        double ap = 0, tp = 0, fp = 0, recallBefore = 0;
        for (int i = 0; i < order.Length;)
        {
            double score = scores[order[i]];
            for (; i < order.Length && scores[order[i]] == score; i++)
                if (anomalous[order[i]]) tp++; else fp++;
            double recall = tp / positives, precision = tp / (tp + fp);
            ap += (recall - recallBefore) * precision;
            recallBefore = recall;
            curve.Add((recall, precision));
        }
        return (curve, ap);
    }

    /// <summary>Indices of <paramref name="scores"/> from the highest score to the lowest (stable among ties).</summary>
    internal static int[] DescendingOrder(ReadOnlySpan<double> scores)
    {
        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = new double[scores.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = -scores[i];
        Array.Sort(keys, order);
        return order;
    }
}

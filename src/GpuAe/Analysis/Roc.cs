namespace GpuAe.Analysis;

/// <summary>ROC curve and area for anomaly scores (higher = more anomalous).</summary>
public static class Roc
{
    /// <summary>
    /// The curve's points (false positive rate, true positive rate), from (0,0) to (1,1), one point per
    /// distinct score (ties move both rates at once), and the area under it by the trapezoid rule — equal to
    /// the probability that a random anomaly scores above a random normal sample, ties counting half.
    /// </summary>
    public static (List<(double Fpr, double Tpr)> Curve, double Auc) Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> anomalous)
    {
        if (scores.Length != anomalous.Length) throw new ArgumentException($"{scores.Length} scores for {anomalous.Length} labels");
        int positives = 0;
        foreach (bool a in anomalous) if (a) positives++;
        int negatives = scores.Length - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"ROC needs both classes: {positives} anomalous, {negatives} normal samples");
        var order = PrecisionRecall.DescendingOrder(scores);
        var keys = scores.ToArray();
        var curve = new List<(double, double)> { (0, 0) };
        double auc = 0, tp = 0, fp = 0;
        for (int i = 0; i < order.Length;)
        {
            double score = keys[order[i]], tpBefore = tp, fpBefore = fp;
            for (; i < order.Length && keys[order[i]] == score; i++)
                if (anomalous[order[i]]) tp++; else fp++;
            auc += (fp - fpBefore) / negatives * (tp + tpBefore) / 2 / positives;
            curve.Add((fp / negatives, tp / positives));
        }
        return (curve, auc);
    }
}

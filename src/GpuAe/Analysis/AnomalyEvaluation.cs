namespace GpuAe.Analysis;

/// <summary>
/// How well anomaly scores separate labelled samples: the threshold-free ROC AUC and average precision, and the
/// confusion counts with precision, recall and F1 of the decision "score above <see cref="Threshold"/>".
/// </summary>
public sealed record AnomalyEvaluation(double RocAuc, double AveragePrecision, double Threshold,
    int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    /// <summary>Flagged samples that are anomalies; 0 when nothing is flagged.</summary>
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    /// <summary>Anomalies that are flagged (the true-positive rate).</summary>
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    /// <summary>Harmonic mean of precision and recall; 0 when both are 0.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>Normal samples that are flagged.</summary>
    public double FalsePositiveRate => Ratio(FalsePositives, FalsePositives + TrueNegatives);

    /// <summary>Anomalies among the samples.</summary>
    public int Anomalies => TruePositives + FalseNegatives;

    /// <summary>Normal samples.</summary>
    public int Normals => FalsePositives + TrueNegatives;

    /// <summary>Evaluates <paramref name="scores"/> against the labels, flagging scores above <paramref name="threshold"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or one class is missing (ROC AUC needs both).</exception>
    public static AnomalyEvaluation Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> anomalous, double threshold)
    {
        var (_, auc) = Roc.Compute(scores, anomalous);
        var (_, ap) = PrecisionRecall.Compute(scores, anomalous);
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            bool flagged = scores[i] > threshold;
            if (anomalous[i]) { if (flagged) tp++; else fn++; }
            else if (flagged) fp++;
            else tn++;
        }
        return new AnomalyEvaluation(auc, ap, threshold, tp, fp, tn, fn);
    }

    private static double Ratio(int count, int total) => total == 0 ? 0 : (double)count / total;
}

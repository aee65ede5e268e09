using GpuAe.Analysis;

namespace GpuAe.Tests.Analysis;

/// <summary>ROC AUC, average precision, thresholds and the confusion counts, against values worked out by hand.</summary>
public class AnomalyMetricsTests
{
    // scores 3 > 2 = 2 > 1; anomalies are the 3 and one of the tied 2s
    private static readonly double[] TiedScores = [1, 2, 2, 3];
    private static readonly bool[] TiedLabels = [false, true, false, true];

    [Fact]
    public void Roc_auc_with_a_tie_across_the_classes_counts_it_half()
    {
        // pairs (anomaly, normal): (3,1) (3,2) (2,1) win, (2,2) ties: (3 + 0.5) / 4
        var (curve, auc) = Roc.Compute(TiedScores, TiedLabels);
        Assert.Equal(0.875, auc, 12);
        Assert.Equal([(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)], curve);
    }

    [Fact]
    public void Average_precision_steps_through_tied_scores_together()
    {
        // threshold 3: P 1/1, R 1/2; threshold 2 (both tied rows enter): P 2/3, R 1; threshold 1: P 2/4, R 1 (no recall gained)
        var (curve, ap) = PrecisionRecall.Compute(TiedScores, TiedLabels);
        Assert.Equal(0.5 * 1 + 0.5 * (2.0 / 3), ap, 12);
        Assert.Equal([(0.0, 1.0), (0.5, 1.0), (1.0, 2.0 / 3), (1.0, 0.5)], curve);
    }

    [Fact]
    public void Matches_scikit_learns_documented_example()
    {
        // sklearn's average_precision_score docs: y_true [0, 0, 1, 1], y_score [0.1, 0.4, 0.35, 0.8] -> 0.83; roc_auc_score -> 0.75
        double[] scores = [0.1, 0.4, 0.35, 0.8];
        bool[] anomalous = [false, false, true, true];
        Assert.Equal(0.8333333333333333, PrecisionRecall.Compute(scores, anomalous).AveragePrecision, 12);
        Assert.Equal(0.75, Roc.Compute(scores, anomalous).Auc, 12);
    }

    [Fact]
    public void All_scores_tied_is_chance_and_the_anomaly_share()
    {
        double[] scores = [5, 5, 5, 5, 5];
        bool[] anomalous = [true, false, false, true, false];
        Assert.Equal(0.5, Roc.Compute(scores, anomalous).Auc, 12);
        Assert.Equal(0.4, PrecisionRecall.Compute(scores, anomalous).AveragePrecision, 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Average_precision_equals_the_mean_precision_at_each_anomaly_without_ties(int seed)
    {
        var rng = new System.Random(seed);
        double[] scores = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        bool[] anomalous = scores.Select(s => rng.NextDouble() < 0.2 + 0.5 * s).ToArray();
        // the textbook form: the precision among the top-k at the rank k of every anomaly, averaged over the anomalies
        var ranked = scores.Zip(anomalous).OrderByDescending(p => p.First).ToArray();
        double sum = 0;
        int hits = 0;
        for (int k = 0; k < ranked.Length; k++)
            if (ranked[k].Second) sum += ++hits / (double)(k + 1);
        Assert.Equal(sum / hits, PrecisionRecall.Compute(scores, anomalous).AveragePrecision, 12);
    }

    [Fact]
    public void Precision_recall_needs_an_anomaly_and_matching_lengths()
    {
        Assert.Contains("none among 2 samples", Assert.Throws<ArgumentException>(() => PrecisionRecall.Compute([1.0, 2.0], [false, false])).Message);
        Assert.Throws<ArgumentException>(() => PrecisionRecall.Compute([1.0, 2.0], [true]));
    }

    [Theory]
    [InlineData(99, 9.91)]   // NumPy: np.percentile(range(1, 11), 99) = 9.91 (linear interpolation)
    [InlineData(50, 5.5)]
    [InlineData(10, 1.9)]
    public void Percentile_interpolates_linearly_as_numpy_does(double percentile, double expected)
    {
        double[] scores = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
        Assert.Equal(expected, new ThresholdRule(ThresholdKind.Percentile, percentile).Pick(scores), 12);
    }

    [Theory]
    [InlineData(0.1, 9.0)]   // one of ten may lie above: the threshold is the 9th score, only 10 is above it
    [InlineData(0.05, 10.0)] // none may: the threshold is the highest score
    [InlineData(0.35, 7.0)]  // floor(3.5) = 3 above: 8, 9, 10
    public void False_positive_rate_flags_at_most_that_share_of_the_normal_scores(double rate, double expected)
    {
        double[] scores = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        double threshold = new ThresholdRule(ThresholdKind.FalsePositiveRate, rate).Pick(scores);
        Assert.Equal(expected, threshold);
        Assert.True(scores.Count(s => s > threshold) <= Math.Floor(rate * scores.Length));
    }

    [Fact]
    public void Ties_at_the_threshold_stay_below_it()
    {
        double threshold = new ThresholdRule(ThresholdKind.FalsePositiveRate, 0.2).Pick([1, 2, 3, 3, 3]);
        Assert.Equal(3, threshold);
        Assert.Equal(0, new[] { 1, 2, 3, 3, 3 }.Count(s => s > threshold));
    }

    [Theory]
    [InlineData(ThresholdKind.Percentile, 100, "--percentile 100: expected a percentile between 0 and 100 (exclusive)")]
    [InlineData(ThresholdKind.Percentile, 0, "--percentile 0: expected a percentile between 0 and 100 (exclusive)")]
    [InlineData(ThresholdKind.FalsePositiveRate, 1, "--target-fpr 1: expected a rate between 0 and 1 (exclusive)")]
    public void Out_of_range_rules_are_refused_naming_the_option(ThresholdKind kind, double value, string expected)
    {
        string option = kind == ThresholdKind.Percentile ? "--percentile" : "--target-fpr";
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => new ThresholdRule(kind, value).Checked(option)).Message);
    }

    [Fact]
    public void A_threshold_needs_finite_held_out_scores()
    {
        Assert.Throws<ArgumentException>(() => ThresholdRule.Default.Pick([]));
        Assert.Contains("sample 1 has score NaN", Assert.Throws<ArgumentException>(() => ThresholdRule.Default.Pick([1.0, double.NaN])).Message);
    }

    [Fact]
    public void Evaluation_counts_scores_above_the_threshold_as_flagged()
    {
        // threshold 2: flagged are the 3 (anomaly) only; the tied 2s are not flagged
        var e = AnomalyEvaluation.Compute(TiedScores, TiedLabels, threshold: 2);
        Assert.Equal((1, 0, 2, 1), (e.TruePositives, e.FalsePositives, e.TrueNegatives, e.FalseNegatives));
        Assert.Equal((1.0, 0.5, 0.0), (e.Precision, e.Recall, e.FalsePositiveRate));
        Assert.Equal(2 * 0.5 / 1.5, e.F1, 12);
        Assert.Equal(0.875, e.RocAuc, 12);
        Assert.Equal(0.5 + 1.0 / 3, e.AveragePrecision, 12);

        var none = AnomalyEvaluation.Compute(TiedScores, TiedLabels, threshold: 3);
        Assert.Equal((0.0, 0.0, 0.0), (none.Precision, none.Recall, none.F1)); // nothing flagged: precision 0, not NaN
    }
}

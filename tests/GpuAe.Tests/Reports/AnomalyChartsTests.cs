using GpuAe.Analysis;
using GpuAe.Reports;
using ScottPlot.Plottables;

namespace GpuAe.Tests.Reports;

public class AnomalyChartsTests
{
    [Fact]
    public void Score_histogram_draws_both_groups_and_the_threshold_on_a_log_axis()
    {
        var rng = new System.Random(1);
        var normal = Enumerable.Range(0, 200).Select(_ => Math.Exp(rng.NextDouble() - 2)).ToList();
        var anomalous = Enumerable.Range(0, 50).Select(_ => Math.Exp(rng.NextDouble())).ToList();
        using var chart = AnomalyCharts.ScoreHistogram("breast cancer: scores", "reconstruction error", normal, "normal", anomalous, "anomalous", 0.5);
        using var image = new Rendered(chart);
        Assert.Equal((900, 520), (image.Width, image.Height));
        var threshold = Assert.Single(chart.Plot.GetPlottables<VerticalLine>());
        Assert.Equal(Math.Log10(0.5), threshold.X, 12);
        var groups = chart.Plot.GetPlottables<BarPlot>().ToList();
        Assert.Equal(2, groups.Count);
        // each group's bars are its fractions: they sum to 1
        Assert.All(groups, g => Assert.Equal(1.0, g.Bars.Sum(b => b.Value), 9));
        string svg = chart.ToSvg();
        Assert.Contains("normal (200)", svg);
        Assert.Contains("anomalous (50)", svg);
        Assert.Contains("threshold 0.5", svg);
        Assert.Contains("log10 reconstruction error", svg);
    }

    [Fact]
    public void Score_histogram_takes_one_group_zero_scores_and_equal_scores()
    {
        using var chart = AnomalyCharts.ScoreHistogram("scored", "reconstruction error", [], "normal", [0.0, 2, 2], "scored", 2);
        using var image = new Rendered(chart);
        Assert.Single(chart.Plot.GetPlottables<BarPlot>());
    }

    [Fact]
    public void Precision_recall_chart_has_the_baseline_the_ap_and_rate_axes()
    {
        var (curve, ap) = PrecisionRecall.Compute([1, 2, 2, 3], [false, true, false, true]);
        using var chart = AnomalyCharts.PrecisionRecall("pr", "reconstruction error", curve, ap, 0.5);
        using var image = new Rendered(chart);
        var baseline = Assert.Single(chart.Plot.GetPlottables<LinePlot>());
        Assert.Equal((0.0, 0.5, 1.0, 0.5), (baseline.Start.X, baseline.Start.Y, baseline.End.X, baseline.End.Y));
        var limits = chart.Plot.Axes.GetLimits();
        Assert.Equal((0.0, 1.0, 0.0), (limits.Left, limits.Right, limits.Bottom));
        string svg = chart.ToSvg();
        Assert.Contains("reconstruction error (AP 0.833)", svg);
        Assert.Contains("flag everything (precision 0.500)", svg);
    }
}

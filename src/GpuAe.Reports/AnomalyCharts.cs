using System.Globalization;
using ScottPlot;

namespace GpuAe.Reports;

/// <summary>Pictures of an anomaly detector: score histograms with the threshold, and the precision-recall curve
/// (the ROC curve is <see cref="Charts.Roc"/>).</summary>
internal static class AnomalyCharts
{
    private const int Bins = 40;

    /// <summary>
    /// Histograms of the two groups' scores on a shared log10 axis (reconstruction errors span orders of magnitude),
    /// each as the fraction of its own group per bin so groups of different sizes compare, with the threshold as a
    /// vertical line. Scores of 0 or below are drawn at the smallest positive one.
    /// </summary>
    public static Chart ScoreHistogram(string title, string scoreName, IReadOnlyList<double> normal, string normalName,
        IReadOnlyList<double> other, string otherName, double threshold, int width = 900, int height = 520)
    {
        var all = normal.Concat(other).Append(threshold).Where(s => s > 0 && double.IsFinite(s)).ToList();
        double floor = all.Count > 0 ? all.Min() : 1;
        double Log(double s) => Math.Log10(s > 0 && double.IsFinite(s) ? s : floor);
        double low = Log(all.DefaultIfEmpty(1).Min()), high = Log(all.DefaultIfEmpty(1).Max());
        if (high - low < 1e-9) (low, high) = (low - 0.5, high + 0.5);
        double binWidth = (high - low) / Bins;
        var plot = ChartStyle.NewPlot(title, $"log10 {scoreName}", "fraction of the group");
        foreach (var (scores, name, color) in new[] { (normal, normalName, ChartStyle.Category(0)), (other, otherName, ChartStyle.Category(3)) })
        {
            if (scores.Count == 0) continue;
            var counts = new double[Bins];
            foreach (double s in scores) counts[Math.Clamp((int)((Log(s) - low) / binWidth), 0, Bins - 1)]++;
            var bars = Enumerable.Range(0, Bins).Select(b => new Bar
            {
                Position = low + (b + 0.5) * binWidth,
                Value = counts[b] / scores.Count,
                Size = binWidth,
                FillColor = color.WithAlpha(0.55),
                LineWidth = 0,
            }).ToList();
            var plotted = plot.Add.Bars(bars);
            plotted.LegendText = string.Create(CultureInfo.InvariantCulture, $"{name} ({scores.Count})");
            plotted.Color = color.WithAlpha(0.55);
        }
        var line = plot.Add.VerticalLine(Log(threshold));
        line.Color = ChartStyle.Text;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 2;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"threshold {threshold:G4}");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        return new Chart(plot, width, height);
    }

    /// <summary>
    /// The precision-recall curve (recall across, precision up) as steps, with the average precision in the legend
    /// and the precision of flagging everything (the share of anomalies) as a dashed baseline.
    /// </summary>
    public static Chart PrecisionRecall(string title, string scoreName, IReadOnlyList<(double Recall, double Precision)> curve,
        double averagePrecision, double anomalyShare, int size = 600)
    {
        var plot = ChartStyle.NewPlot(title, "recall", "precision");
        ChartStyle.ReferenceLine(plot, 0, anomalyShare, 1, anomalyShare,
            string.Create(CultureInfo.InvariantCulture, $"flag everything (precision {anomalyShare:0.000})"));
        var line = plot.Add.ScatterLine(curve.Select(p => p.Recall).ToArray(), curve.Select(p => p.Precision).ToArray(), ChartStyle.Category(0));
        line.ConnectStyle = ConnectStyle.StepVertical;
        line.LineWidth = 2.5f;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{scoreName} (AP {averagePrecision:0.000})");
        ChartStyle.RateAxes(plot, top: 1.02);
        plot.ShowLegend(Alignment.LowerLeft);
        return new Chart(plot, size, size);
    }
}

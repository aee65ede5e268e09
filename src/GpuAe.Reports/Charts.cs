using System.Globalization;
using ScottPlot;

namespace GpuAe.Reports;

/// <summary>Line, scatter and bar charts of training runs, drawn with ScottPlot.</summary>
internal static class Charts
{
    private const int MarkerLimit = 40; // curves with this few points also get a marker per point

    /// <summary>
    /// Training and validation loss per epoch. <paramref name="lossLabel"/> names the loss and its unit (the y
    /// axis); epochs are whole-number ticks. Non-finite losses (a diverged epoch, no validation) leave gaps; the
    /// legend gives each curve's last value.
    /// </summary>
    public static Chart LossCurves(string title, string lossLabel, IReadOnlyList<int> epochs, IReadOnlyList<double> train,
                                   IReadOnlyList<double>? validation = null, int width = 800, int height = 500)
    {
        if (train.Count != epochs.Count || validation is not null && validation.Count != epochs.Count)
            throw new ArgumentException($"loss chart: {epochs.Count} epochs but {train.Count} training and {validation?.Count ?? 0} validation losses");
        var plot = ChartStyle.NewPlot(title, "epoch", lossLabel);
        ChartStyle.IntegerTicks(plot.Axes.Bottom);
        AddCurve(plot, "train", epochs, train, ChartStyle.Category(0));
        if (validation is not null && validation.Any(double.IsFinite))
            AddCurve(plot, "validation", epochs, validation, ChartStyle.Category(1));
        if (epochs.Count > 0 && epochs.Min() == epochs.Max())
        {
            // one epoch: a point with room either side, rather than ScottPlot's range around a lone value
            double y = new[] { train[0], validation?[0] ?? double.NaN }.Where(double.IsFinite).DefaultIfEmpty(1).Max();
            plot.Axes.SetLimits(epochs[0] - 1, epochs[0] + 1, y > 0 ? 0 : y - 1, y > 0 ? 1.5 * y : y + 1);
        }
        plot.ShowLegend(Alignment.UpperRight);
        return new Chart(plot, width, height);
    }

    private static void AddCurve(Plot plot, string name, IReadOnlyList<int> epochs, IReadOnlyList<double> values, Color color)
    {
        int last = Enumerable.Range(0, values.Count).LastOrDefault(i => double.IsFinite(values[i]), -1);
        string legend = last < 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name} (epoch {epochs[last]}: {Format(values[last])})");
        bool markers = epochs.Count <= MarkerLimit;
        bool first = true;
        foreach (var run in FiniteRuns(values))
        {
            var line = plot.Add.Scatter(run.Select(i => (double)epochs[i]).ToArray(), run.Select(i => values[i]).ToArray(), color);
            line.LineWidth = 2.5f;
            line.MarkerSize = markers || run.Count == 1 ? 6 : 0;
            line.LegendText = first ? legend : "";
            first = false;
        }
    }

    /// <summary>Index runs of consecutive finite values.</summary>
    private static IEnumerable<List<int>> FiniteRuns(IReadOnlyList<double> values)
    {
        var run = new List<int>();
        for (int i = 0; i < values.Count; i++)
        {
            if (double.IsFinite(values[i])) { run.Add(i); continue; }
            if (run.Count > 0) yield return run;
            run = [];
        }
        if (run.Count > 0) yield return run;
    }

    /// <summary>Four significant digits, the way losses are read (0.09213, 105.6).</summary>
    internal static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>
    /// An ROC curve (false positive rate across, true positive rate up, both 0..1) with the chance diagonal,
    /// the area under the curve shaded and its value in the legend.
    /// </summary>
    public static Chart Roc(string title, string scoreName, IReadOnlyList<(double Fpr, double Tpr)> curve, double auc, int size = 600)
    {
        var plot = ChartStyle.NewPlot(title, "false positive rate", "true positive rate");
        double[] xs = curve.Select(p => p.Fpr).ToArray(), ys = curve.Select(p => p.Tpr).ToArray();
        var area = plot.Add.FillY(xs, ys, new double[xs.Length]);
        area.FillColor = ChartStyle.Category(0).WithAlpha(0.12);
        area.LineWidth = 0;
        ChartStyle.ReferenceLine(plot, 0, 0, 1, 1, "chance (AUC 0.5)");
        var line = plot.Add.ScatterLine(xs, ys, ChartStyle.Category(0));
        line.LineWidth = 2.5f;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{scoreName} (AUC {auc:0.000})");
        ChartStyle.RateAxes(plot);
        plot.ShowLegend(Alignment.LowerRight);
        return new Chart(plot, size, size);
    }

    /// <summary>
    /// Points coloured by class (ten colours, e.g. MNIST digits), with a legend of the classes present named by
    /// <paramref name="classNames"/> when given. Many points are drawn small and translucent so density shows.
    /// </summary>
    public static Chart LatentScatter(string title, IReadOnlyList<(double X, double Y, int Label)> points, string xLabel, string yLabel,
                                      IReadOnlyList<string>? classNames = null, int width = 860, int height = 700)
    {
        var plot = ChartStyle.NewPlot(title, xLabel, yLabel);
        bool dense = points.Count > 2000;
        foreach (var group in points.GroupBy(p => p.Label).OrderBy(g => g.Key))
        {
            var color = ChartStyle.Category(group.Key);
            var dots = plot.Add.ScatterPoints(group.Select(p => p.X).ToArray(), group.Select(p => p.Y).ToArray(), color.WithAlpha(dense ? 0.45 : 0.8));
            dots.MarkerSize = dense ? 3.5f : 6;
            // legend symbols opaque and large, whatever the dots are
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = classNames is not null && group.Key >= 0 && group.Key < classNames.Count ? classNames[group.Key] : group.Key.ToString(CultureInfo.InvariantCulture),
                MarkerShape = MarkerShape.FilledCircle,
                MarkerSize = 10,
                MarkerFillColor = color,
                MarkerLineColor = color,
            });
        }
        plot.ShowLegend(Edge.Right);
        return new Chart(plot, width, height);
    }

    /// <summary>
    /// PCA's reconstruction error against the number of components k: the training set's residual variance per
    /// pixel (exact for the training images: the variance of the axes left out, from
    /// <paramref name="eigenvalues"/>, largest first), the measured test error at the requested k, and published
    /// values where known.
    /// </summary>
    public static Chart PcaError(string title, IReadOnlyList<double> eigenvalues, IReadOnlyList<(int K, double Mse)> test,
                                 IReadOnlyList<(int K, double Mse)> published, int width = 800, int height = 500)
    {
        int d = eigenvalues.Count;
        int kMax = Math.Min(d, Math.Max(64, 2 * test.Select(t => t.K).Concat(published.Select(p => p.K)).DefaultIfEmpty(0).Max()));
        var residual = new double[kMax + 1];
        double left = eigenvalues.Sum();
        for (int k = 0; k <= kMax; k++)
        {
            residual[k] = Math.Max(left, 0) / d;
            if (k < d) left -= eigenvalues[k];
        }
        var plot = ChartStyle.NewPlot(title, "principal components kept (k)", "MSE per pixel");
        ChartStyle.IntegerTicks(plot.Axes.Bottom);
        var curve = plot.Add.ScatterLine(Enumerable.Range(0, kMax + 1).Select(k => (double)k).ToArray(), residual, ChartStyle.Category(0));
        curve.LineWidth = 2.5f;
        curve.LegendText = "training images (variance left out per pixel)";
        // one legend entry per measured k carries its value: labels beside the points collide when two k are close
        foreach (var (k, mse) in test)
        {
            var measured = plot.Add.ScatterPoints(new[] { (double)k }, new[] { mse }, ChartStyle.Category(1));
            measured.MarkerSize = 10;
            measured.LegendText = string.Create(CultureInfo.InvariantCulture, $"test images, k={k}: {Mse(mse)}");
        }
        if (published.Count > 0)
        {
            var reference = plot.Add.ScatterPoints(published.Select(p => (double)p.K).ToArray(), published.Select(p => p.Mse).ToArray(), ChartStyle.Text);
            reference.MarkerShape = MarkerShape.OpenCircle;
            reference.MarkerSize = 15;
            reference.MarkerLineWidth = 1.5f;
            reference.LegendText = "published (test)";
        }
        double top = test.Select(t => t.Mse).Concat(published.Select(p => p.Mse)).Append(residual[0]).Where(double.IsFinite).Max();
        plot.Axes.SetLimits(0, kMax, 0, top * 1.05);
        plot.ShowLegend(Alignment.UpperRight);
        return new Chart(plot, width, height);
    }

    private static string Mse(double value) => value.ToString("0.00000", CultureInfo.InvariantCulture);

    /// <summary>One trained model against PCA with as many components as its code has values.</summary>
    public readonly record struct AeVsPcaRow(string Run, string Model, int CodeSize, double Autoencoder, double? Pca)
    {
        /// <summary>The run folder's name, and the model's when the folder is named otherwise.</summary>
        public string Label => (Run == Model ? Run : $"{Run}: {Model}") + string.Create(CultureInfo.InvariantCulture, $" (k={CodeSize})");
    }

    /// <summary>
    /// Horizontal bars, one pair per trained run: the autoencoder's test MSE per pixel over PCA's at the same code
    /// size, each bar labelled with its value (and the autoencoder's with its ratio to PCA).
    /// </summary>
    public static Chart AeVsPca(string title, IReadOnlyList<AeVsPcaRow> rows, int width = 900)
    {
        const double Group = 3, BarSize = 0.9;
        var plot = ChartStyle.NewPlot(title, "test MSE per pixel (clean test images)", "");
        var ae = new List<Bar>();
        var pca = new List<Bar>();
        var names = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            double centre = -i * Group; // first run on top
            string ratio = row.Pca is { } p && p > 0 ? string.Create(CultureInfo.InvariantCulture, $"  ({row.Autoencoder / p:0.00}× PCA)") : "";
            ae.Add(new Bar { Position = centre + BarSize / 2, Value = row.Autoencoder, Size = BarSize, FillColor = ChartStyle.Category(0), Label = Mse(row.Autoencoder) + ratio, LineWidth = 0 });
            if (row.Pca is { } linear)
                pca.Add(new Bar { Position = centre - BarSize / 2, Value = linear, Size = BarSize, FillColor = ChartStyle.Category(1), Label = Mse(linear), LineWidth = 0 });
            names.AddMajor(centre, row.Label);
        }
        foreach (var (bars, legend, color) in new[] { (ae, "autoencoder", ChartStyle.Category(0)), (pca, "PCA, same code size", ChartStyle.Category(1)) })
        {
            if (bars.Count == 0) continue;
            var plotted = plot.Add.Bars(bars);
            plotted.Horizontal = true;
            plotted.LegendText = legend;
            plotted.Color = color;
            plotted.ValueLabelStyle.FontSize = ChartStyle.TickLabelSize;
            plotted.ValueLabelStyle.FontName = ChartFonts.Family;
            plotted.ValueLabelStyle.ForeColor = ChartStyle.Text;
        }
        plot.Axes.Left.TickGenerator = names;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.TickLabelStyle.FontSize = ChartStyle.AxisLabelSize;
        double max = rows.Select(r => Math.Max(r.Autoencoder, r.Pca ?? 0)).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimits(0, max * 1.45, -(rows.Count - 1) * Group - Group / 2, Group / 2); // room right of the bars for their labels
        plot.Grid.YAxisStyle.IsVisible = false;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.6 };
        plot.ShowLegend(Edge.Bottom); // below the axis: never over a bar or its label
        return new Chart(plot, width, 170 + 75 * Math.Max(rows.Count, 1));
    }
}

namespace GpuAe.Visualization;

/// <summary>
/// Charts for training runs: loss curves, latent-space scatter plots, image grids and ROC curves,
/// rendered to an <see cref="RgbImage"/> (write it with <see cref="Png.Write"/>).
/// </summary>
public static partial class Charts
{
    private const double LineThickness = 2.25;
    private const int MarkerLimit = 30; // series with this few points also get a dot per point

    /// <summary>
    /// Draws <paramref name="series"/> as lines over shared axes with nice ticks, grid, legend and title.
    /// An empty list (or one with no drawable point) gives the axes and "no data".
    /// </summary>
    /// <param name="logY">Log-scale y axis; points with y at or below zero are then skipped.</param>
    public static RgbImage LineChart(string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
                                     int width = 800, int height = 500, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        var xSpec = new AxisSpec(series.SelectMany(s => s.Points).Select(p => p.X));
        var ySpec = new AxisSpec(series.SelectMany(s => s.Points).Select(p => p.Y), Log: logY);
        return DrawLines(title, xLabel, yLabel, series, width, height, xSpec, ySpec, LegendPlacement.TopRight, reference: null);
    }

    /// <summary>
    /// Draws ROC curves (x: false positive rate, y: true positive rate, both 0..1) with the chance
    /// diagonal; put each curve's AUC in its name, e.g. "digit 3 (AUC 0.93)".
    /// </summary>
    public static RgbImage RocCurve(string title, IReadOnlyList<Series> curves, int width = 600, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var unit = new AxisSpec([], FixedMin: 0, FixedMax: 1);
        return DrawLines(title, "false positive rate", "true positive rate", curves, width, height, unit, unit,
                         LegendPlacement.BottomRight, reference: [(0, 0), (1, 1)]);
    }

    private static RgbImage DrawLines(string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
                                      int width, int height, AxisSpec xSpec, AxisSpec ySpec,
                                      LegendPlacement placement, IReadOnlyList<(double X, double Y)>? reference)
    {
        var colors = series.Select((s, i) => s.Color ?? Palette.Category(i)).ToArray();
        var legend = series.Select((s, i) => new LegendEntry(s.Name, colors[i], Dot: false)).Where(e => e.Name.Length > 0).ToList();
        var frame = PlotFrame.Create(width, height, title, xLabel, yLabel, xSpec, ySpec, legend, placement);

        if (reference is not null)
            frame.Image.DrawPolyline(reference.Select(p => frame.ToPixel(p.X, p.Y)!.Value).ToList(), Palette.Muted, 1.25);

        bool drewAny = false;
        for (int i = 0; i < series.Count; i++)
        {
            var mapped = series[i].Points.Select(p => frame.ToPixel(p.X, p.Y)).ToList();
            bool markers = mapped.Count <= MarkerLimit;
            foreach (var run in SplitAtGaps(mapped))
            {
                drewAny = true;
                if (run.Count > 1)
                    frame.Image.DrawPolyline(run, colors[i], LineThickness);
                if (run.Count == 1 || markers)
                    foreach (var (px, py) in run)
                        frame.Image.FillCircle(px, py, LineThickness * 1.4, colors[i]);
            }
        }
        if (!drewAny)
            frame.DrawMessage("no data");
        frame.DrawLegend();
        return frame.Image;
    }

    // Consecutive drawable points; a point without a place on the axes ends the current run.
    private static IEnumerable<List<(double X, double Y)>> SplitAtGaps(IEnumerable<(double X, double Y)?> points)
    {
        var run = new List<(double X, double Y)>();
        foreach (var p in points)
        {
            if (p is { } q)
            {
                run.Add(q);
                continue;
            }
            if (run.Count > 0)
                yield return run;
            run = [];
        }
        if (run.Count > 0)
            yield return run;
    }
}

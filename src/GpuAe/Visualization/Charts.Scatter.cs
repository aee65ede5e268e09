namespace GpuAe.Visualization;

public static partial class Charts
{
    /// <summary>
    /// Draws labelled points coloured by class with a ten-colour palette (colours repeat after ten
    /// labels), e.g. a 2-D latent space of MNIST digits. The legend lists the labels present, named by
    /// <paramref name="labelNames"/>[label] when given, else by the number.
    /// </summary>
    public static RgbImage Scatter(string title, IReadOnlyList<(double X, double Y, int Label)> points,
                                   string xLabel = "z1", string yLabel = "z2", int width = 800, int height = 600,
                                   IReadOnlyList<string>? labelNames = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        string NameOf(int label) => labelNames is not null && label >= 0 && label < labelNames.Count ? labelNames[label] : label.ToString();
        var legend = points.Select(p => p.Label).Distinct().Order()
                           .Select(l => new LegendEntry(NameOf(l), Palette.Category(l), Dot: true)).ToList();
        var frame = PlotFrame.Create(width, height, title, xLabel, yLabel,
                                     new AxisSpec(points.Select(p => p.X)), new AxisSpec(points.Select(p => p.Y)),
                                     legend, LegendPlacement.OutsideRight);

        // Many points overlap: smaller, translucent dots let density show through.
        double radius = points.Count > 2000 ? 1.8 : 2.6;
        double alpha = points.Count > 2000 ? 0.55 : 0.8;
        bool drewAny = false;
        foreach (var (x, y, label) in points)
            if (frame.ToPixel(x, y) is { } p)
            {
                frame.Image.FillCircle(p.X, p.Y, radius, Palette.Category(label), alpha);
                drewAny = true;
            }
        if (!drewAny)
            frame.DrawMessage("no data");
        frame.DrawLegend();
        return frame.Image;
    }
}

using ScottPlot;

namespace GpuAe.Reports;

/// <summary>The look all charts share: one font, sizes, colours.</summary>
internal static class ChartStyle
{
    public const float TitleSize = 17, AxisLabelSize = 15, TickLabelSize = 13, LegendSize = 13;
    public static readonly Color Text = Color.FromHex("#222222");
    public static readonly Color Muted = Color.FromHex("#8A8A8A");
    public static readonly Color Grid = Color.FromHex("#E6E6E6");

    /// <summary>Ten well-separated hues (category10), one per MNIST digit; repeats after ten.</summary>
    public static Color Category(int index) => Palette.GetColor(((index % 10) + 10) % 10);

    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    /// <summary>A plot with the shared font, title and axis labels set.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(ChartFonts.Family);
        plot.Title(title, TitleSize);
        plot.Axes.Title.Label.ForeColor = Text;
        plot.XLabel(xLabel, AxisLabelSize);
        plot.YLabel(yLabel, AxisLabelSize);
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.ForeColor = Text;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontSize = TickLabelSize;
            axis.TickLabelStyle.ForeColor = Text;
        }
        plot.Grid.MajorLineColor = Grid;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.FontName = ChartFonts.Family;
        plot.Legend.FontColor = Text;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.OutlineColor = Color.FromHex("#C8C8C8");
        return plot;
    }

    /// <summary>Ticks only on whole numbers (epochs, code sizes), without minor ticks between them.</summary>
    public static void IntegerTicks(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        axis.MinorTickStyle.Length = 0;
    }

    /// <summary>Both axes as rates 0..1 (the y axis up to <paramref name="top"/>) with a tick every 0.1 (ROC, precision-recall).</summary>
    public static void RateAxes(Plot plot, double top = 1)
    {
        plot.Axes.SetLimits(0, 1, 0, top);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
    }

    /// <summary>A thin dashed grey line for a reference (chance, a baseline), named in the legend.</summary>
    public static void ReferenceLine(Plot plot, double x1, double y1, double x2, double y2, string legend)
    {
        var line = plot.Add.Line(x1, y1, x2, y2);
        line.Color = Muted;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 1.5f;
        line.LegendText = legend;
    }
}

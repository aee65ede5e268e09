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
}

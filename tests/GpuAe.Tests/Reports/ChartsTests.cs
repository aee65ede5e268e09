using GpuAe.Reports;
using ScottPlot;
using ScottPlot.Plottables;

namespace GpuAe.Tests.Reports;

public class ChartsTests
{
    private static readonly int[] Epochs = [.. Enumerable.Range(1, 12)];
    private static readonly double[] Train = [.. Epochs.Select(e => 0.09 + 0.2 * Math.Exp(-e / 3.0))];
    private static readonly double[] Validation = [.. Train.Select(v => v + 0.004)];

    private static Chart Loss(string title) => Charts.LossCurves(title, "BCE, mean per pixel", Epochs, Train, Validation, 640, 400);

    [Fact]
    public void Loss_chart_is_a_png_of_the_requested_size_with_both_curves_drawn()
    {
        using var chart = Loss("dense32: loss per epoch");
        using var image = new Rendered(chart);
        Assert.Equal((640, 400), (image.Width, image.Height));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image.Png.Take(4));
        var data = chart.Plot.LastRender.DataRect;
        var blue = ChartStyle.Category(0);
        var orange = ChartStyle.Category(1);
        Assert.Contains(Colours(image, data), c => c == (blue.R, blue.G, blue.B));
        Assert.Contains(Colours(image, data), c => c == (orange.R, orange.G, orange.B));
    }

    [Fact]
    public void Title_and_axis_text_are_drawn_not_left_blank()
    {
        using var titled = Loss("a title with plenty of letters in it");
        using var untitled = Loss("");
        using var withTitle = new Rendered(titled);
        using var withoutTitle = new Rendered(untitled);
        int Above(Chart c, Rendered r) => r.DarkPixels(0, 0, r.Width, (int)c.Plot.LastRender.DataRect.Top - 2);
        // the band above the plot holds the title and nothing else: without a font it would be empty
        Assert.True(Above(titled, withTitle) > 300, $"{Above(titled, withTitle)} dark pixels where the title should be");
        Assert.Equal(0, Above(untitled, withoutTitle));
        // below the plot: epoch tick labels and the axis label
        var data = titled.Plot.LastRender.DataRect;
        Assert.True(withTitle.DarkPixels((int)data.Left, (int)data.Bottom + 8, (int)data.Right, withTitle.Height) > 150);
    }

    [Fact]
    public void Loss_svg_holds_the_title_the_loss_name_and_the_legend_as_text()
    {
        using var chart = Loss("dense32 on cpu: loss per epoch");
        string svg = chart.ToSvg();
        Assert.StartsWith("<?xml", svg);
        Assert.Contains("dense32 on cpu: loss per epoch", svg);
        Assert.Contains("BCE, mean per pixel", svg);
        Assert.Contains(">epoch<", svg.Replace("\t", "").Replace("\n", ""));
        Assert.Contains($"train (epoch 12: {Charts.Format(Train[^1])})", svg);
        Assert.Contains($"validation (epoch 12: {Charts.Format(Validation[^1])})", svg);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    [InlineData(150)]
    public void Epoch_ticks_are_whole_numbers(int epochs)
    {
        int[] x = [.. Enumerable.Range(1, epochs)];
        using var chart = Charts.LossCurves("t", "loss", x, [.. x.Select(e => 1.0 / e)]);
        using var _ = new Rendered(chart);
        var ticks = chart.Plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToArray();
        Assert.NotEmpty(ticks);
        Assert.All(ticks, t => Assert.Equal(Math.Round(t.Position), t.Position));
    }

    [Fact]
    public void A_diverged_epoch_leaves_a_gap_and_missing_validation_no_curve()
    {
        using var chart = Charts.LossCurves("t", "loss", [1, 2, 3, 4, 5], [0.5, 0.4, double.NaN, 0.3, 0.2], [double.NaN, double.NaN, double.NaN, double.NaN, double.NaN]);
        var lines = chart.Plot.GetPlottables<Scatter>().ToArray();
        Assert.Equal(2, lines.Length); // epochs 1-2 and 4-5, no validation curve
        Assert.Equal(["train (epoch 5: 0.2)", ""], lines.Select(l => l.LegendText));
        using var image = new Rendered(chart);
        Assert.True(image.DistinctColours() > 10);
    }

    [Fact]
    public void No_epochs_or_only_diverged_ones_still_give_a_chart_with_its_axes()
    {
        foreach (var (epochs, losses) in new (int[], double[])[] { ([], []), ([1, 2], [double.NaN, double.PositiveInfinity]), ([4], [0.3]) })
        {
            using var chart = Charts.LossCurves("t", "loss", epochs, losses, losses);
            using var image = new Rendered(chart);
            Assert.Equal((800, 500), (image.Width, image.Height));
            Assert.True(image.DarkPixels(0, 0, image.Width, image.Height) > 500); // frame, ticks, labels
        }
    }

    [Fact]
    public void Loss_chart_rejects_lists_of_different_lengths()
    {
        var e = Assert.Throws<ArgumentException>(() => Charts.LossCurves("t", "loss", [1, 2], [0.1]));
        Assert.Contains("2 epochs but 1 training", e.Message);
    }

    [Fact]
    public void Roc_has_the_diagonal_the_auc_and_unit_axes()
    {
        var curve = Enumerable.Range(0, 101).Select(i => i / 100.0).Select(x => (x, Math.Sqrt(x))).ToList();
        using var chart = Charts.Roc("dense32, normal digit 3", "reconstruction error", curve, 0.667);
        using var image = new Rendered(chart);
        Assert.Equal((600, 600), (image.Width, image.Height));
        var diagonal = Assert.Single(chart.Plot.GetPlottables<LinePlot>());
        Assert.Equal((0.0, 0.0, 1.0, 1.0), (diagonal.Start.X, diagonal.Start.Y, diagonal.End.X, diagonal.End.Y));
        var limits = chart.Plot.Axes.GetLimits();
        Assert.Equal((0.0, 1.0, 0.0, 1.0), (limits.Left, limits.Right, limits.Bottom, limits.Top));
        Assert.Contains("reconstruction error (AUC 0.667)", chart.ToSvg());
        // the diagonal's middle is drawn grey (dashes: look along a short stretch of it)
        var data = chart.Plot.LastRender.DataRect;
        bool grey = Enumerable.Range(-8, 17).Any(d =>
        {
            var c = image[(int)(data.HorizontalCenter + d), (int)(data.VerticalCenter - d)];
            return c.Red < 200 && Math.Abs(c.Red - c.Green) < 12 && Math.Abs(c.Green - c.Blue) < 30;
        });
        Assert.True(grey, "no grey chance diagonal through the middle of the plot");
    }

    [Fact]
    public void Latent_scatter_colours_each_digit_and_lists_the_digits_in_the_legend()
    {
        var rng = new System.Random(1);
        var points = Enumerable.Range(0, 600).Select(i => (rng.NextDouble() + i % 3, rng.NextDouble() - i % 4, i % 10)).ToList();
        using var chart = Charts.LatentScatter("codes", points, "z₁", "z₂");
        Assert.Equal([.. Enumerable.Range(0, 10).Select(d => d.ToString())], chart.Plot.Legend.ManualItems.Select(i => i.LabelText));
        using var image = new Rendered(chart);
        var colours = Colours(image, new PixelRect(0, image.Width, image.Height, 0)); // the legend's symbols are opaque
        foreach (int digit in new[] { 0, 3, 9 })
        {
            var c = ChartStyle.Category(digit);
            Assert.Contains(colours, p => Math.Abs(p.R - c.R) < 6 && Math.Abs(p.G - c.G) < 6 && Math.Abs(p.B - c.B) < 6);
        }
        Assert.Contains("z₁", chart.ToSvg());

        using var named = Charts.LatentScatter("codes", [(0, 0, 1), (1, 1, 7)], "x", "y", classNames: [.. Enumerable.Range(0, 10).Select(d => $"digit {d}")]);
        Assert.Equal(["digit 1", "digit 7"], named.Plot.Legend.ManualItems.Select(i => i.LabelText));
    }

    [Fact]
    public void Pca_chart_draws_the_residual_variance_and_labels_the_measured_points()
    {
        double[] eigenvalues = [.. Enumerable.Range(0, 100).Select(i => Math.Pow(0.9, i))];
        using var chart = Charts.PcaError("PCA", eigenvalues, [(2, 0.08), (30, 0.005)], [(30, 0.004)]);
        var residual = chart.Plot.GetPlottables<Scatter>().First().Data.GetScatterPoints();
        Assert.Equal(eigenvalues.Sum() / 100, residual[0].Y, 12);
        Assert.Equal(eigenvalues.Skip(30).Sum() / 100, residual[30].Y, 12);
        Assert.Equal(64, residual.Count - 1); // k up to max(64, twice the largest k asked for), capped at the dimension
        string svg = chart.ToSvg();
        Assert.Contains("test images, k=2: 0.08000", svg);
        Assert.Contains("test images, k=30: 0.00500", svg);
        Assert.Contains("published (test)", svg);
        using var image = new Rendered(chart);
        Assert.True(image.DistinctColours() > 10);
    }

    [Fact]
    public void Ae_vs_pca_draws_a_pair_of_bars_per_run_with_values_and_ratio()
    {
        using var chart = Charts.AeVsPca("AE vs PCA", [new("dense32", "dense32", 32, 0.01, 0.02), new("wide-run", "wide", 1000, 0.003, null)]);
        var bars = chart.Plot.GetPlottables<BarPlot>().ToArray();
        Assert.Equal(2, bars[0].Bars.Count); // autoencoder: both runs
        Assert.Single(bars[1].Bars);        // PCA: only where k fits the dimension
        Assert.Equal("0.01000  (0.50× PCA)", bars[0].Bars[0].Label);
        Assert.Equal("0.00300", bars[0].Bars[1].Label);
        string svg = chart.ToSvg();
        Assert.Contains("dense32 (k=32)", svg);
        Assert.Contains("wide-run: wide (k=1000)", svg);
        using var image = new Rendered(chart);
        Assert.Equal(chart.Height, image.Height);
        var blue = ChartStyle.Category(0);
        Assert.Contains(Colours(image, chart.Plot.LastRender.DataRect), c => c == (blue.R, blue.G, blue.B));
    }

    [Fact]
    public void Saving_writes_png_and_svg_beside_it()
    {
        using var dir = new TempDirectory();
        using var chart = Loss("saved");
        chart.SavePngAndSvg(dir.File("loss.png"));
        Assert.Equal(chart.ToPng().Take(8), File.ReadAllBytes(dir.File("loss.png")).Take(8));
        Assert.Contains("saved", File.ReadAllText(dir.File("loss.svg")));
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length); // no temporary files left behind
    }

    private static HashSet<(byte R, byte G, byte B)> Colours(Rendered image, PixelRect area)
    {
        var seen = new HashSet<(byte, byte, byte)>();
        for (int y = (int)area.Top; y < (int)area.Bottom; y++)
            for (int x = (int)area.Left; x < (int)area.Right; x++)
            {
                var c = image[x, y];
                seen.Add((c.Red, c.Green, c.Blue));
            }
        return seen;
    }
}

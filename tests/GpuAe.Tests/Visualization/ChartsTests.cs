using GpuAe.Visualization;

namespace GpuAe.Tests.Visualization;

public class ChartsTests
{
    private static readonly Series Falling = new("train", [.. Enumerable.Range(1, 50).Select(e => ((double)e, 0.09 + 0.2 * Math.Exp(-e / 8.0)))]);

    public static TheoryData<string, Series[]> LineInputs => new()
    {
        { "typical", [Falling, Falling with { Name = "validation", Points = [.. Falling.Points.Select(p => (p.X, p.Y + 0.01))] }] },
        { "one point", [new Series("one", [(3, 0.5)])] },
        { "constant", [new Series("flat", [(0, 2), (1, 2), (2, 2)])] },
        { "zeros", [new Series("zero", [(0, 0), (1, 0)])] },
        { "NaN gap", [new Series("gap", [(0, 1), (1, double.NaN), (2, 3), (3, 2), (double.NaN, 4), (5, double.PositiveInfinity)])] },
        { "all NaN", [new Series("nan", [(double.NaN, double.NaN)])] },
        { "no points", [new Series("empty", [])] },
        { "empty list", [] },
        { "unnamed, coloured", [new Series("", [(0, 0), (1, 1)], 0x000000)] },
    };

    [Theory]
    [MemberData(nameof(LineInputs))]
    public void LineChart_has_the_requested_size_and_draws_in_the_plot(string _, Series[] series)
    {
        foreach (bool logY in new[] { false, true })
        {
            var image = Charts.LineChart("Loss", "epoch", "loss", series, 640, 400, logY);
            Assert.Equal((640, 400), (image.Width, image.Height));
            Assert.True(CountInk(image, 100, 60, 500, 280) > 100);
        }
    }

    [Fact]
    public void Empty_chart_says_no_data_where_a_line_chart_draws_lines()
    {
        var empty = Charts.LineChart("t", "x", "y", []);
        var full = Charts.LineChart("t", "x", "y", [Falling]);
        Assert.True(CountInk(full, 0, 0, 800, 500) > CountInk(empty, 0, 0, 800, 500));
        Assert.True(CountInk(empty, 350, 220, 100, 60) > 0); // the message in the middle
    }

    [Fact]
    public void Series_colour_is_used()
    {
        var image = Charts.LineChart("", "", "", [new Series("red", [(0, 0), (1, 1)], 0xFF0000)]);
        Assert.Contains(Pixels(image), c => c == 0xFF0000);
    }

    [Fact]
    public void Scatter_colours_points_by_label_and_handles_edge_input()
    {
        var rng = new System.Random(1);
        var points = Enumerable.Range(0, 500).Select(i => (rng.NextDouble(), rng.NextDouble(), i % 10)).ToList();
        var image = Charts.Scatter("Latent space", points, labelNames: [.. Enumerable.Range(0, 10).Select(d => $"digit {d}")]);
        Assert.Equal((800, 600), (image.Width, image.Height));
        Assert.True(CountInk(image, 120, 80, 400, 400) > 1000);

        foreach (var edge in new List<(double, double, int)>[] { [], [(1, 1, 3)], [(double.NaN, 0, 1), (2, 2, -4), (2, 2, 12)] })
            Assert.Equal(400, Charts.Scatter("edge", edge, width: 500, height: 400).Height);
    }

    [Fact]
    public void RocCurve_draws_curves_and_the_diagonal()
    {
        var image = Charts.RocCurve("ROC", [new Series("digit 0 (AUC 0.97)", [(0, 0), (0.05, 0.8), (0.2, 0.95), (1, 1)])]);
        Assert.Equal((600, 600), (image.Width, image.Height));
        Assert.True(CountInk(image, 100, 60, 450, 450) > 1000);
    }

    [Fact]
    public void ImageRows_maps_values_to_gray_and_checks_row_length()
    {
        const int count = 3, h = 4, w = 5;
        float[] ones = [.. Enumerable.Repeat(1f, count * h * w)];
        float[] ramp = [.. Enumerable.Range(0, count * h * w).Select(i => i % 2 == 0 ? -1f : 2f)];
        var image = Charts.ImageRows([("original", ones), ("reconstructed", ramp)], count, h, w, scale: 3, title: "MNIST");
        var colours = Pixels(image).ToHashSet();
        Assert.Contains(0x000000u, colours); // -1 clamped to black
        Assert.Contains(0xFFFFFFu, colours);

        var e = Assert.Throws<ArgumentException>(() => Charts.ImageRows([("short", new float[count * h * w - 1])], count, h, w));
        Assert.Contains("short", e.Message);
    }

    [Fact]
    public void Samples_render_to_png()
    {
        // Set GPUAE_VIS_SAMPLES to a folder to look at the pictures; otherwise they are only encoded.
        string? folder = Environment.GetEnvironmentVariable("GPUAE_VIS_SAMPLES");
        var rng = new System.Random(7);
        var validation = Falling with { Name = "validation", Points = [.. Falling.Points.Select(p => (p.X, p.Y + 0.012 + 0.004 * rng.NextDouble()))] };
        var baseline = new Series("PCA k=32", [(1, 0.1175), (50, 0.1175)], 0x7F7F7F);
        var samples = new Dictionary<string, RgbImage>
        {
            ["line"] = Charts.LineChart("784-32-784 autoencoder, MNIST", "epoch", "BCE per pixel", [Falling, validation, baseline]),
            ["line-log"] = Charts.LineChart("Loss (log scale)", "step", "loss",
                [new Series("adam", [.. Enumerable.Range(0, 200).Select(i => (i * 100.0, 2.0 / (1 + i * 0.5)))]),
                 new Series("sgd", [.. Enumerable.Range(0, 200).Select(i => (i * 100.0, i == 80 ? double.NaN : 2.0 / (1 + i * 0.05)))])], logY: true),
            ["empty"] = Charts.LineChart("Nothing yet", "epoch", "loss", [], 400, 300),
            ["scatter"] = Charts.Scatter("Latent space (z = 2)", ClusteredPoints(rng, 3000)),
            ["roc"] = Charts.RocCurve("Anomaly detection, trained on digit 1",
                [new Series("digit 0 (AUC 0.97)", Roc(8)), new Series("digit 7 (AUC 0.81)", Roc(1.8))]),
            ["images"] = SyntheticImageRows(),
        };
        foreach (var (name, image) in samples)
        {
            Assert.NotEmpty(PngDecoder.ReadChunks(Png.Encode(image)));
            if (folder is not null)
                Png.Write(Path.Combine(folder, $"vis-sample-{name}.png"), image);
        }
    }

    private static List<(double X, double Y)> Roc(double power)
        => [.. Enumerable.Range(0, 51).Select(i => i / 50.0).Select(f => (f, Math.Pow(f, 1 / power)))];

    private static List<(double X, double Y, int Label)> ClusteredPoints(System.Random rng, int n)
        => [.. Enumerable.Range(0, n).Select(i =>
        {
            int label = i % 10;
            double angle = label * Math.PI / 5;
            double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            return (3 * Math.Cos(angle) + 0.8 * Gauss(), 3 * Math.Sin(angle) + 0.8 * Gauss(), label);
        })];

    // Digits drawn with the chart font stand in for MNIST; a blur stands in for the reconstruction.
    private static RgbImage SyntheticImageRows()
    {
        const int count = 10, size = 28;
        var originals = new float[count * size * size];
        var reconstructed = new float[originals.Length];
        for (int d = 0; d < count; d++)
        {
            var digit = new RgbImage(size, size, 0x000000);
            digit.DrawText(7, 4, d.ToString(), 0xFFFFFF, 3);
            for (int i = 0; i < size * size; i++)
                originals[d * size * size + i] = (digit.GetPixel(i % size, i / size) & 0xFF) / 255f;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    float sum = 0;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                            sum += originals[d * size * size + Math.Clamp(y + dy, 0, size - 1) * size + Math.Clamp(x + dx, 0, size - 1)];
                    reconstructed[d * size * size + y * size + x] = sum / 9 * 1.2f;
                }
        }
        reconstructed[5 * size * size + 14 * size + 14] = float.NaN;
        return Charts.ImageRows([("original", originals), ("reconstructed", reconstructed)], count, size, size, title: "Originals over reconstructions");
    }

    private static IEnumerable<uint> Pixels(RgbImage image)
    {
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                yield return image.GetPixel(x, y);
    }

    private static int CountInk(RgbImage image, int left, int top, int width, int height)
    {
        int ink = 0;
        for (int y = top; y < Math.Min(top + height, image.Height); y++)
            for (int x = left; x < Math.Min(left + width, image.Width); x++)
                if (image.GetPixel(x, y) != 0xFFFFFF)
                    ink++;
        return ink;
    }
}

using System.Globalization;
using ScottPlot;

namespace GpuAe.Reports;

/// <summary>
/// Grids of grayscale images (values in [0, 1], 1 white; NaN red, so a diverged model shows) drawn with ScottPlot
/// at an exact whole number of screen pixels per image pixel: the data area is fixed to the grid's size, so no
/// tile is resampled. <see cref="Tile"/> says where each image landed.
/// </summary>
internal sealed class ImageGrid : Chart
{
    private const int Margin = 14;
    private readonly PixelRect _data;
    private readonly int _tileWidth, _tileHeight, _columnStep, _rowStep;

    private ImageGrid(Plot plot, int width, int height, PixelRect data, int tileWidth, int tileHeight, int columnStep, int rowStep)
        : base(plot, width, height) =>
        (_data, _tileWidth, _tileHeight, _columnStep, _rowStep) = (data, tileWidth, tileHeight, columnStep, rowStep);

    /// <summary>The screen rectangle (left, top, width, height) of image <paramref name="column"/> in row <paramref name="row"/>.</summary>
    public (int Left, int Top, int Width, int Height) Tile(int row, int column) =>
        ((int)_data.Left + column * _columnStep, (int)_data.Top + row * _rowStep, _tileWidth, _tileHeight);

    /// <summary>
    /// Rows of <paramref name="count"/> images side by side, each row named on its left (e.g. "original" over
    /// "reconstructed"). A row holds the images one after another, each <paramref name="imageHeight"/> x
    /// <paramref name="imageWidth"/> row-major.
    /// </summary>
    /// <param name="scale">Screen pixels per image pixel.</param>
    public static ImageGrid Rows(string? title, IReadOnlyList<(string Label, float[] Pixels)> rows, int count, int imageHeight, int imageWidth, int scale = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        if (rows.Count == 0) throw new ArgumentException("an image grid needs at least one row", nameof(rows));
        int imageSize = imageHeight * imageWidth;
        foreach (var (label, pixels) in rows)
            if (pixels.Length < count * imageSize)
                throw new ArgumentException($"image row '{label}' has {pixels.Length} values; {count} images of {imageHeight}x{imageWidth} need {count * imageSize}", nameof(rows));

        int gap = Math.Max(2, scale + 1), rowGap = 2 * gap;
        int tileW = imageWidth * scale, tileH = imageHeight * scale;
        int dataW = count * tileW + (count - 1) * gap, dataH = rows.Count * tileH + (rows.Count - 1) * rowGap;
        var canvas = NewCanvas(dataH, dataW);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < count; c++)
                PaintTile(canvas, rows[r].Pixels.AsSpan(c * imageSize, imageSize), imageHeight, imageWidth, scale, r * (tileH + rowGap), c * (tileW + gap));
        var plot = NewGridPlot(title);
        AddCanvas(plot, canvas, new CoordinateRect(0, dataW, 0, dataH)); // coordinates: screen pixels of the data area, y up
        plot.Axes.SetLimits(0, dataW, 0, dataH);
        var rowLabels = new ScottPlot.TickGenerators.NumericManual();
        for (int r = 0; r < rows.Count; r++) rowLabels.AddMajor(dataH - r * (tileH + rowGap) - tileH / 2.0, rows[r].Label);
        plot.Axes.Left.TickGenerator = rowLabels;
        plot.Axes.Left.TickLabelStyle.FontSize = ChartStyle.AxisLabelSize;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual();

        float labelWidth = rows.Max(r => TextWidth(r.Label, ChartStyle.AxisLabelSize, bold: false));
        var padding = new PixelPadding(left: Margin + labelWidth + 10, right: Margin, bottom: Margin, top: TitleSpace(title));
        return Create(plot, padding, dataW, dataH, title, tileW, tileH, tileW + gap, tileH + rowGap);
    }

    /// <summary>
    /// An n x n grid of decoder outputs over a 2-D latent, already in grid order: row 0 at the top holds the largest
    /// z₂, column 0 the smallest z₁. <paramref name="values"/> are the n latent values of each axis, ascending; the
    /// axes label the tiles with them.
    /// </summary>
    public static ImageGrid LatentGrid(string title, float[] images, IReadOnlyList<double> values, int imageHeight, int imageWidth, int scale = 1)
    {
        int n = values.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int imageSize = imageHeight * imageWidth;
        if (images.Length < n * n * imageSize)
            throw new ArgumentException($"latent grid: {images.Length} values; {n}x{n} images of {imageHeight}x{imageWidth} need {n * n * imageSize}", nameof(images));

        var canvas = NewCanvas(n * imageHeight * scale, n * imageWidth * scale);
        for (int row = 0; row < n; row++)
            for (int col = 0; col < n; col++)
                PaintTile(canvas, images.AsSpan((row * n + col) * imageSize, imageSize), imageHeight, imageWidth, scale, row * imageHeight * scale, col * imageWidth * scale);
        var plot = NewGridPlot(title);
        AddCanvas(plot, canvas, new CoordinateRect(0, n, 0, n)); // tile coordinates: tile (row, col) spans x col..col+1, y n-1-row..n-row
        plot.Axes.SetLimits(0, n, 0, n);
        plot.XLabel("z₁", ChartStyle.AxisLabelSize);
        plot.YLabel("z₂", ChartStyle.AxisLabelSize);
        plot.Axes.Bottom.TickGenerator = ValueTicks(values);
        plot.Axes.Left.TickGenerator = ValueTicks(values);
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.IsVisible = true;
            axis.MajorTickStyle.Length = 5;
            axis.MinorTickStyle.Length = 3;
        }

        float tickWidth = values.Max(v => TextWidth(ValueLabel(v), ChartStyle.TickLabelSize, bold: false));
        var padding = new PixelPadding(left: Margin + tickWidth + 40, right: Margin + 10, bottom: 60, top: TitleSpace(title));
        int size = n * imageWidth * scale;
        return Create(plot, padding, size, n * imageHeight * scale, title, imageWidth * scale, imageHeight * scale, imageWidth * scale, imageHeight * scale);
    }

    // Labels on a symmetric subset of tiles (about five per side of the centre) and a minor tick on every tile.
    private static ScottPlot.TickGenerators.NumericManual ValueTicks(IReadOnlyList<double> values)
    {
        int n = values.Count, step = Math.Max(1, (int)Math.Round(n / 5.0));
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var labelled = new SortedSet<int>();
        for (int i = 0; i < (n + 1) / 2; i += step) { labelled.Add(i); labelled.Add(n - 1 - i); }
        for (int i = 0; i < n; i++)
            if (labelled.Contains(i)) ticks.AddMajor(i + 0.5, ValueLabel(values[i]));
            else ticks.AddMinor(i + 0.5);
        return ticks;
    }

    private static string ValueLabel(double value) => value.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    private static Plot NewGridPlot(string? title)
    {
        var plot = ChartStyle.NewPlot(title ?? "", "", "");
        plot.HideGrid();
        plot.Axes.Frame(false);
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.MajorTickStyle.Length = 0;
            axis.MinorTickStyle.Length = 0;
            axis.Label.IsVisible = false;
        }
        return plot;
    }

    private static ImageGrid Create(Plot plot, PixelPadding padding, int dataWidth, int dataHeight, string? title,
                                    int tileWidth, int tileHeight, int columnStep, int rowStep)
    {
        // ScottPlot centres the title on the data area: widen the figure on whichever side the title would overflow.
        if (!string.IsNullOrEmpty(title))
        {
            float half = TextWidth(title, ChartStyle.TitleSize, bold: true) / 2 + Margin;
            padding = new PixelPadding(Math.Max(padding.Left, half - dataWidth / 2f), Math.Max(padding.Right, half - dataWidth / 2f),
                                       padding.Bottom, padding.Top);
        }
        padding = new PixelPadding(MathF.Ceiling(padding.Left), MathF.Ceiling(padding.Right), MathF.Ceiling(padding.Bottom), MathF.Ceiling(padding.Top));
        plot.Layout.Fixed(padding);
        int figureWidth = (int)(padding.Left + dataWidth + padding.Right), figureHeight = (int)(padding.Top + dataHeight + padding.Bottom);
        var data = new PixelRect(padding.Left, padding.Left + dataWidth, padding.Top + dataHeight, padding.Top);
        return new ImageGrid(plot, figureWidth, figureHeight, data, tileWidth, tileHeight, columnStep, rowStep);
    }

    private static float TitleSpace(string? title) => string.IsNullOrEmpty(title) ? Margin : 2 * ChartStyle.TitleSize + 16;

    // The grid is painted here at screen resolution (RGB, white between tiles) and shown 1:1 with no smoothing,
    // so what lands on screen is exactly these pixels.
    private static byte[,,] NewCanvas(int height, int width)
    {
        var canvas = new byte[height, width, 3];
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(canvas), canvas.Length).Fill(255);
        return canvas;
    }

    private static void PaintTile(byte[,,] canvas, ReadOnlySpan<float> image, int height, int width, int scale, int top, int left)
    {
        for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < width * scale; x++)
            {
                float v = image[y / scale * width + x / scale];
                (byte r, byte g, byte b) = float.IsNaN(v) ? ((byte)255, (byte)0, (byte)0) : Gray(v);
                canvas[top + y, left + x, 0] = r;
                canvas[top + y, left + x, 1] = g;
                canvas[top + y, left + x, 2] = b;
            }
    }

    private static (byte, byte, byte) Gray(float v)
    {
        byte g = (byte)MathF.Round(Math.Clamp(v, 0f, 1f) * 255);
        return (g, g, g);
    }

    private static void AddCanvas(Plot plot, byte[,,] canvas, CoordinateRect where)
    {
        var image = plot.Add.ImageRect(new Image(canvas), where);
        image.AntiAlias = false;
    }

    private static float TextWidth(string text, float size, bool bold)
    {
        using var paint = Paint.NewDisposablePaint();
        var style = new LabelStyle { FontName = ChartFonts.Family, FontSize = size, Bold = bold };
        return style.Measure(text, paint).Width;
    }
}

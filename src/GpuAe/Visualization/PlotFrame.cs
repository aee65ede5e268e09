namespace GpuAe.Visualization;

/// <summary>Where a chart puts its legend.</summary>
internal enum LegendPlacement { TopRight, BottomRight, OutsideRight }

/// <summary>One legend row: a line swatch for line series, a dot for scatter classes.</summary>
internal readonly record struct LegendEntry(string Name, uint Color, bool Dot);

/// <summary>
/// The parts every x/y chart shares: layout of title, axis labels, tick labels and legend around the
/// plot rectangle; fitted axes; grid and axes drawing; and the data-to-pixel mapping.
/// </summary>
internal sealed class PlotFrame
{
    private const int Pad = 14;
    private const int TickLength = 5;
    private const int TickGap = 4;
    private const int LegendSwatch = 22;

    private readonly int _textScale;
    private readonly IReadOnlyList<LegendEntry> _legend;
    private readonly LegendPlacement _placement;

    private PlotFrame(RgbImage image, Axis x, Axis y, (int Left, int Top, int Width, int Height) plot,
                      int textScale, IReadOnlyList<LegendEntry> legend, LegendPlacement placement)
    {
        Image = image;
        X = x;
        Y = y;
        Plot = plot;
        _textScale = textScale;
        _legend = legend;
        _placement = placement;
    }

    public RgbImage Image { get; }
    public Axis X { get; }
    public Axis Y { get; }

    /// <summary>The plot rectangle in pixels.</summary>
    public (int Left, int Top, int Width, int Height) Plot { get; }

    /// <summary>Text scale matched to the image size, for callers that print inside the plot.</summary>
    public int TextScale => _textScale;

    /// <summary>Lays out a chart, fits its axes to the room left and draws everything but the data.</summary>
    public static PlotFrame Create(int width, int height, string title, string xLabel, string yLabel,
                                   AxisSpec xSpec, AxisSpec ySpec,
                                   IReadOnlyList<LegendEntry> legend, LegendPlacement placement)
    {
        if (width < 64 || height < 64)
            throw new ArgumentOutOfRangeException(nameof(width), $"A chart needs at least 64x64 pixels, got {width}x{height}.");
        var image = new RgbImage(width, height, Palette.Background);
        int s = Math.Min(width, height) >= 360 ? 2 : 1;
        int textHeight = BitmapFont.CapHeight * s;

        int top = Pad + (title.Length > 0 ? textHeight * 3 / 2 + Pad : 0);
        int bottom = Pad + textHeight + TickLength + TickGap + (xLabel.Length > 0 ? textHeight + Pad : 0);
        int plotHeight = Math.Max(height - top - bottom, 8);
        var y = Axis.Fit(ySpec, Math.Clamp(plotHeight / (textHeight * 4), 2, 8));

        int yTickWidth = y.Ticks.Select(t => RgbImage.MeasureText(y.Format(t), s).Width).DefaultIfEmpty(0).Max();
        int left = Pad + (yLabel.Length > 0 ? textHeight + Pad : 0) + yTickWidth + TickGap + TickLength;
        int legendWidth = placement == LegendPlacement.OutsideRight && legend.Count > 0 ? LegendSize(legend, s).Width + 2 * Pad : 0;
        int right = Pad + Math.Max(legendWidth, 3 * s * BitmapFont.Advance); // room for half of the last x label
        int plotWidth = Math.Max(width - left - right, 8);
        var x = FitWithoutOverlap(xSpec, plotWidth, s);

        var frame = new PlotFrame(image, x, y, (left, top, plotWidth, plotHeight), s, legend, placement);
        frame.DrawChrome(title, xLabel, yLabel);
        return frame;
    }

    /// <summary>Pixel position of a data point, or null when it has no place on the axes (NaN, or not positive on a log axis).</summary>
    public (double X, double Y)? ToPixel(double x, double y)
    {
        double fx = X.Fraction(x), fy = Y.Fraction(y);
        if (double.IsNaN(fx) || double.IsNaN(fy))
            return null;
        return (Plot.Left + fx * Plot.Width, Plot.Top + (1 - fy) * Plot.Height);
    }

    /// <summary>Prints <paramref name="message"/> in the middle of the plot, e.g. "no data".</summary>
    public void DrawMessage(string message)
    {
        var (w, h) = RgbImage.MeasureText(message, _textScale);
        Image.DrawText(Plot.Left + (Plot.Width - w) / 2, Plot.Top + (Plot.Height - h) / 2, message, Palette.Muted, _textScale);
    }

    /// <summary>Draws the legend; call after the data so it sits on top.</summary>
    public void DrawLegend()
    {
        if (_legend.Count == 0)
            return;
        var (w, h) = LegendSize(_legend, _textScale);
        int inset = 10;
        int bx = _placement == LegendPlacement.OutsideRight ? Plot.Left + Plot.Width + 2 * Pad
                                                            : Plot.Left + Plot.Width - w - inset;
        int by = _placement == LegendPlacement.BottomRight ? Plot.Top + Plot.Height - h - inset
               : _placement == LegendPlacement.OutsideRight ? Plot.Top : Plot.Top + inset;
        Image.FillRect(bx, by, w, h, Palette.Background, alpha: 0.88);
        Image.DrawRect(bx, by, w, h, Palette.LegendBorder);

        int rowHeight = RowHeight(_textScale), textHeight = BitmapFont.CapHeight * _textScale;
        for (int i = 0; i < _legend.Count; i++)
        {
            var entry = _legend[i];
            int rowTop = by + LegendPadding(_textScale) + i * rowHeight;
            double midY = rowTop + textHeight / 2.0;
            int sx = bx + LegendPadding(_textScale);
            if (entry.Dot)
                Image.FillCircle(sx + LegendSwatch / 2.0, midY, 2 + _textScale, entry.Color);
            else
                Image.DrawLine(sx, midY, sx + LegendSwatch, midY, entry.Color, thickness: 1 + _textScale);
            Image.DrawText(sx + LegendSwatch + 4 * _textScale, rowTop, entry.Name, Palette.Label, _textScale);
        }
    }

    private void DrawChrome(string title, string xLabel, string yLabel)
    {
        var (left, top, width, height) = Plot;
        int s = _textScale, textHeight = BitmapFont.CapHeight * s;
        int right = left + width, bottom = top + height;

        foreach (double v in X.MinorTicks)
            Image.FillRect(GridX(v), top, 1, height, Palette.MinorGrid);
        foreach (double v in Y.MinorTicks)
            Image.FillRect(left, GridY(v), width, 1, Palette.MinorGrid);

        foreach (double v in X.Ticks)
        {
            int px = GridX(v);
            Image.FillRect(px, top, 1, height, Palette.Grid);
            Image.FillRect(px, bottom, 1, TickLength, Palette.AxisLine);
            string text = X.Format(v);
            Image.DrawText(px - RgbImage.MeasureText(text, s).Width / 2, bottom + TickLength + TickGap, text, Palette.TickLabel, s);
        }
        foreach (double v in Y.Ticks)
        {
            int py = GridY(v);
            Image.FillRect(left, py, width, 1, Palette.Grid);
            Image.FillRect(left - TickLength, py, TickLength, 1, Palette.AxisLine);
            string text = Y.Format(v);
            int w = RgbImage.MeasureText(text, s).Width;
            Image.DrawText(left - TickLength - TickGap - w, py - textHeight / 2, text, Palette.TickLabel, s);
        }

        Image.FillRect(left, bottom, width + 1, 1, Palette.AxisLine);
        Image.FillRect(left, top, 1, height + 1, Palette.AxisLine);

        if (title.Length > 0)
        {
            // A long title steps down in size rather than run off the image.
            int scale = s + 1;
            while (scale > 1 && RgbImage.MeasureText(title, scale).Width > Image.Width - 2 * Pad)
                scale--;
            int w = RgbImage.MeasureText(title, scale).Width;
            int centred = Math.Clamp(left + (width - w) / 2, Pad, Math.Max(Pad, Image.Width - Pad - w));
            DrawBold(centred, Pad + (s + 1 - scale) * BitmapFont.CapHeight / 2, title, Palette.Title, scale);
        }
        if (xLabel.Length > 0)
        {
            int w = RgbImage.MeasureText(xLabel, s).Width;
            Image.DrawText(left + (width - w) / 2, Image.Height - Pad - textHeight, xLabel, Palette.Label, s);
        }
        if (yLabel.Length > 0)
        {
            int w = RgbImage.MeasureText(yLabel, s).Width;
            Image.DrawText(Pad, top + Math.Max((height - w) / 2, 0), yLabel, Palette.Label, s, vertical: true);
        }
    }

    // The 5x7 font has no bold face; a copy one pixel to the right thickens the strokes.
    private void DrawBold(int x, int y, string text, uint rgb, int scale)
    {
        Image.DrawText(x, y, text, rgb, scale);
        Image.DrawText(x + 1, y, text, rgb, scale);
    }

    // Grid lines sit on whole pixels so they stay crisp; the last one is pulled back inside the plot.
    private int GridX(double v) => Math.Min(Plot.Left + (int)Math.Round(X.Fraction(v) * Plot.Width), Plot.Left + Plot.Width - 1);
    private int GridY(double v) => Math.Min(Plot.Top + (int)Math.Round((1 - Y.Fraction(v)) * Plot.Height), Plot.Top + Plot.Height - 1);

    // Fewer ticks until the x labels, each with two character cells of air, fit side by side.
    private static Axis FitWithoutOverlap(AxisSpec spec, int plotWidth, int scale)
    {
        for (int maxTicks = 10; ; maxTicks--)
        {
            var axis = Axis.Fit(spec, maxTicks);
            int needed = axis.Ticks.Sum(t => RgbImage.MeasureText(axis.Format(t), scale).Width + 2 * BitmapFont.Advance * scale);
            if (needed <= plotWidth || maxTicks <= 2)
                return axis;
        }
    }

    private static int LegendPadding(int scale) => 4 + 3 * scale;
    private static int RowHeight(int scale) => BitmapFont.CellHeight * scale + 3 * scale;

    private static (int Width, int Height) LegendSize(IReadOnlyList<LegendEntry> legend, int scale)
    {
        int textWidth = legend.Max(e => RgbImage.MeasureText(e.Name, scale).Width);
        return (2 * LegendPadding(scale) + LegendSwatch + 4 * scale + textWidth,
                2 * LegendPadding(scale) + legend.Count * RowHeight(scale) - 3 * scale);
    }
}

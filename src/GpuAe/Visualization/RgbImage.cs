namespace GpuAe.Visualization;

/// <summary>
/// An 8-bit RGB raster with simple anti-aliased drawing. Colours are <c>0xRRGGBB</c>. Pixel (x, y)
/// covers the unit square [x, x+1) x [y, y+1), so shapes given in continuous coordinates land where
/// expected; everything outside the image is clipped silently.
/// </summary>
public sealed class RgbImage
{
    private readonly byte[] _pixels;

    /// <summary>Creates a <paramref name="width"/> x <paramref name="height"/> image filled with <paramref name="background"/>.</summary>
    public RgbImage(int width, int height, uint background = 0xFFFFFF)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        Width = width;
        Height = height;
        _pixels = new byte[checked(width * height * 3)];
        FillRect(0, 0, width, height, background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Pixels row-major from the top row, three bytes (R, G, B) each.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The colour of pixel (<paramref name="x"/>, <paramref name="y"/>) as <c>0xRRGGBB</c>.</summary>
    public uint GetPixel(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width}x{Height} image.");
        int i = (y * Width + x) * 3;
        return (uint)(_pixels[i] << 16 | _pixels[i + 1] << 8 | _pixels[i + 2]);
    }

    /// <summary>Sets one pixel; ignored outside the image.</summary>
    public void SetPixel(int x, int y, uint rgb) => Blend(x, y, rgb, 1.0);

    /// <summary>Mixes <paramref name="rgb"/> into one pixel with opacity <paramref name="alpha"/> in [0, 1]; ignored outside the image.</summary>
    public void Blend(int x, int y, uint rgb, double alpha)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || !(alpha > 0))
            return;
        int i = (y * Width + x) * 3;
        if (alpha >= 1)
        {
            _pixels[i] = (byte)(rgb >> 16);
            _pixels[i + 1] = (byte)(rgb >> 8);
            _pixels[i + 2] = (byte)rgb;
            return;
        }
        _pixels[i] = Mix(_pixels[i], (byte)(rgb >> 16), alpha);
        _pixels[i + 1] = Mix(_pixels[i + 1], (byte)(rgb >> 8), alpha);
        _pixels[i + 2] = Mix(_pixels[i + 2], (byte)rgb, alpha);
    }

    /// <summary>Fills the axis-aligned rectangle at (<paramref name="x"/>, <paramref name="y"/>) of size <paramref name="w"/> x <paramref name="h"/>.</summary>
    public void FillRect(int x, int y, int w, int h, uint rgb, double alpha = 1.0)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = Math.Min(x + w, Width), y1 = Math.Min(y + h, Height);
        for (int py = y0; py < y1; py++)
            for (int px = x0; px < x1; px++)
                Blend(px, py, rgb, alpha);
    }

    /// <summary>Draws a one-pixel outline just inside the rectangle.</summary>
    public void DrawRect(int x, int y, int w, int h, uint rgb)
    {
        FillRect(x, y, w, 1, rgb);
        FillRect(x, y + h - 1, w, 1, rgb);
        FillRect(x, y, 1, h, rgb);
        FillRect(x + w - 1, y, 1, h, rgb);
    }

    /// <summary>Draws an anti-aliased segment with round caps, <paramref name="thickness"/> pixels wide.</summary>
    public void DrawLine(double x0, double y0, double x1, double y1, uint rgb, double thickness = 1.0, double alpha = 1.0)
        => DrawPolyline([(x0, y0), (x1, y1)], rgb, thickness, alpha);

    /// <summary>
    /// Draws connected anti-aliased segments. Each pixel is painted once with the strongest coverage of
    /// any segment, so joints do not darken where segments overlap (which matters for translucent lines).
    /// </summary>
    public void DrawPolyline(IReadOnlyList<(double X, double Y)> points, uint rgb, double thickness = 1.0, double alpha = 1.0)
    {
        if (points.Count == 0)
            return;
        var (half, strength) = Pen(thickness, alpha);
        double pad = half + 1;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (px, py) in points)
        {
            minX = Math.Min(minX, px); maxX = Math.Max(maxX, px);
            minY = Math.Min(minY, py); maxY = Math.Max(maxY, py);
        }
        if (!TryClip(minX - pad, minY - pad, maxX + pad, maxY + pad, out var box))
            return;

        var coverage = new float[box.W * box.H];
        for (int s = 0; s < Math.Max(points.Count - 1, 1); s++)
        {
            var a = points[s];
            var b = points[Math.Min(s + 1, points.Count - 1)];
            if (!TryClip(Math.Min(a.X, b.X) - pad, Math.Min(a.Y, b.Y) - pad, Math.Max(a.X, b.X) + pad, Math.Max(a.Y, b.Y) + pad, out var seg))
                continue;
            for (int y = seg.Y; y < seg.Y + seg.H; y++)
                for (int x = seg.X; x < seg.X + seg.W; x++)
                {
                    double d = DistanceToSegment(x + 0.5, y + 0.5, a, b);
                    ref float c = ref coverage[(y - box.Y) * box.W + (x - box.X)];
                    c = Math.Max(c, (float)Math.Clamp(half + 0.5 - d, 0, 1));
                }
        }
        for (int y = 0; y < box.H; y++)
            for (int x = 0; x < box.W; x++)
                Blend(box.X + x, box.Y + y, rgb, strength * coverage[y * box.W + x]);
    }

    /// <summary>Fills an anti-aliased disc (a dot) of <paramref name="radius"/> pixels.</summary>
    public void FillCircle(double cx, double cy, double radius, uint rgb, double alpha = 1.0)
        => PaintRadial(cx, cy, radius + 1, rgb, alpha, d => radius + 0.5 - d);

    /// <summary>Draws an anti-aliased circle outline <paramref name="thickness"/> pixels wide.</summary>
    public void DrawCircle(double cx, double cy, double radius, uint rgb, double thickness = 1.0, double alpha = 1.0)
    {
        var (half, strength) = Pen(thickness, alpha);
        PaintRadial(cx, cy, radius + half + 1, rgb, strength, d => half + 0.5 - Math.Abs(d - radius));
    }

    /// <summary>
    /// Draws <paramref name="text"/> with the built-in 5x7 font, each font pixel a
    /// <paramref name="scale"/> x <paramref name="scale"/> block. (<paramref name="x"/>, <paramref name="y"/>)
    /// is the top-left of the cap-height box (see <see cref="MeasureText"/>); descenders hang below it.
    /// <paramref name="vertical"/> turns the text 90 degrees counter-clockwise (reading upwards), with
    /// (x, y) the top-left of the turned box.
    /// </summary>
    public void DrawText(int x, int y, string text, uint rgb, int scale = 1, bool vertical = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int length = MeasureText(text, scale).Width;
        for (int i = 0; i < text.Length; i++)
            for (int row = 0; row < BitmapFont.CellHeight; row++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                {
                    if (!BitmapFont.IsSet(text[i], col, row))
                        continue;
                    int along = (i * BitmapFont.Advance + col) * scale, down = row * scale;
                    if (vertical)
                        FillRect(x + down, y + length - along - scale, scale, scale, rgb);
                    else
                        FillRect(x + along, y + down, scale, scale, rgb);
                }
    }

    /// <summary>Width and cap height of <paramref name="text"/> as <see cref="DrawText"/> draws it horizontally.</summary>
    public static (int Width, int Height) MeasureText(string text, int scale = 1) => BitmapFont.Measure(text, scale);

    private static byte Mix(byte dst, byte src, double alpha) => (byte)Math.Round(dst + (src - dst) * alpha);

    // Lines thinner than a pixel are drawn one pixel wide but fainter: this reads better than a
    // sub-pixel footprint whose coverage never reaches 1.
    private static (double Half, double Strength) Pen(double thickness, double alpha)
        => thickness >= 1 ? (thickness / 2, alpha) : (0.5, alpha * Math.Max(thickness, 0));

    private void PaintRadial(double cx, double cy, double reach, uint rgb, double alpha, Func<double, double> coverageAt)
    {
        if (!TryClip(cx - reach, cy - reach, cx + reach, cy + reach, out var box))
            return;
        for (int y = box.Y; y < box.Y + box.H; y++)
            for (int x = box.X; x < box.X + box.W; x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                Blend(x, y, rgb, alpha * Math.Clamp(coverageAt(d), 0, 1));
            }
    }

    private static double DistanceToSegment(double px, double py, (double X, double Y) a, (double X, double Y) b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        double lengthSquared = dx * dx + dy * dy;
        double t = lengthSquared == 0 ? 0 : Math.Clamp(((px - a.X) * dx + (py - a.Y) * dy) / lengthSquared, 0, 1);
        double ex = px - (a.X + t * dx), ey = py - (a.Y + t * dy);
        return Math.Sqrt(ex * ex + ey * ey);
    }

    // Integer pixel box covering [x0, x1] x [y0, y1], cut to the image; false when nothing is left
    // (also for NaN or infinite input, which would otherwise make huge loops).
    private bool TryClip(double x0, double y0, double x1, double y1, out (int X, int Y, int W, int H) box)
    {
        box = default;
        if (!(double.IsFinite(x0) && double.IsFinite(y0) && double.IsFinite(x1) && double.IsFinite(y1)))
            return false;
        int ix0 = (int)Math.Clamp(Math.Floor(x0), 0, Width), iy0 = (int)Math.Clamp(Math.Floor(y0), 0, Height);
        int ix1 = (int)Math.Clamp(Math.Ceiling(x1), 0, Width), iy1 = (int)Math.Clamp(Math.Ceiling(y1), 0, Height);
        if (ix1 <= ix0 || iy1 <= iy0)
            return false;
        box = (ix0, iy0, ix1 - ix0, iy1 - iy0);
        return true;
    }
}

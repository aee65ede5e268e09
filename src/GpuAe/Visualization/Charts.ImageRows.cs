namespace GpuAe.Visualization;

public static partial class Charts
{
    /// <summary>
    /// Draws rows of grayscale images side by side, each row labelled on the left: e.g. MNIST
    /// "original" over "reconstructed". Each row holds <paramref name="count"/> images of
    /// <paramref name="imageHeight"/> x <paramref name="imageWidth"/> values in [0, 1] (clamped; 1 is
    /// white), row-major one image after another. NaN pixels are drawn red so a diverged model shows.
    /// </summary>
    /// <param name="scale">Screen pixels per image pixel.</param>
    /// <exception cref="ArgumentException">A row holds fewer than count x height x width values.</exception>
    public static RgbImage ImageRows(IReadOnlyList<(string Label, float[] Pixels)> rows, int count, int imageHeight, int imageWidth,
                                     int scale = 2, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int imageSize = imageHeight * imageWidth;
        foreach (var (label, pixels) in rows)
            if (pixels.Length < count * imageSize)
                throw new ArgumentException($"Row '{label}' has {pixels.Length} values; {count} images of {imageHeight}x{imageWidth} need {count * imageSize}.", nameof(rows));

        const int Pad = 12, Gap = 2, RowGap = 6;
        int textScale = scale >= 2 ? 2 : 1, textHeight = BitmapFont.CapHeight * textScale;
        int cellW = imageWidth * scale, cellH = imageHeight * scale;
        int labelWidth = rows.Select(r => RgbImage.MeasureText(r.Label, textScale).Width).DefaultIfEmpty(0).Max();
        int titleHeight = string.IsNullOrEmpty(title) ? 0 : textHeight + 4 + Pad;
        int gridLeft = Pad + (labelWidth > 0 ? labelWidth + Pad : 0);
        int gridWidth = count * cellW + (count - 1) * Gap;
        int width = Math.Max(gridLeft + gridWidth + Pad, string.IsNullOrEmpty(title) ? 0 : RgbImage.MeasureText(title, textScale).Width + 2 * Pad);
        int height = Pad + titleHeight + Math.Max(rows.Count, 1) * (cellH + RowGap) - RowGap + Pad;

        var image = new RgbImage(width, height, Palette.Background);
        if (!string.IsNullOrEmpty(title))
        {
            int w = RgbImage.MeasureText(title, textScale).Width;
            image.DrawText((width - w) / 2, Pad, title, Palette.Title, textScale);
            image.DrawText((width - w) / 2 + 1, Pad, title, Palette.Title, textScale);
        }
        for (int r = 0; r < rows.Count; r++)
        {
            var (label, pixels) = rows[r];
            int top = Pad + titleHeight + r * (cellH + RowGap);
            int w = RgbImage.MeasureText(label, textScale).Width;
            image.DrawText(gridLeft - Pad - w, top + (cellH - textHeight) / 2, label, Palette.Label, textScale);
            for (int n = 0; n < count; n++)
            {
                int left = gridLeft + n * (cellW + Gap);
                for (int y = 0; y < imageHeight; y++)
                    for (int x = 0; x < imageWidth; x++)
                        image.FillRect(left + x * scale, top + y * scale, scale, scale, Gray(pixels[n * imageSize + y * imageWidth + x]));
            }
        }
        return image;
    }

    private static uint Gray(float v)
    {
        if (float.IsNaN(v))
            return 0xFF0000;
        uint g = (uint)Math.Round(Math.Clamp(v, 0f, 1f) * 255);
        return g << 16 | g << 8 | g;
    }
}

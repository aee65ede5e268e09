using GpuAe.Reports;
using SkiaSharp;

namespace GpuAe.Tests.Reports;

/// <summary>A chart rendered to PNG and decoded again, for checks on its pixels.</summary>
internal sealed class Rendered : IDisposable
{
    public SKBitmap Bitmap { get; }
    public byte[] Png { get; }

    public Rendered(Chart chart)
    {
        Png = chart.ToPng();
        Bitmap = SKBitmap.Decode(Png) ?? throw new InvalidDataException("the chart's PNG does not decode");
    }

    public int Width => Bitmap.Width;
    public int Height => Bitmap.Height;

    public SKColor this[int x, int y] => Bitmap.GetPixel(x, y);

    /// <summary>Pixels in the rectangle darker than mid-grey: text, lines, markers (the background is white).</summary>
    public int DarkPixels(int left, int top, int right, int bottom)
    {
        int count = 0;
        for (int y = Math.Max(top, 0); y < Math.Min(bottom, Height); y++)
            for (int x = Math.Max(left, 0); x < Math.Min(right, Width); x++)
            {
                var c = Bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 3 * 128) count++;
            }
        return count;
    }

    /// <summary>Distinct colours in the whole image (a blank picture has one).</summary>
    public int DistinctColours()
    {
        var seen = new HashSet<SKColor>();
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++) seen.Add(Bitmap.GetPixel(x, y));
        return seen.Count;
    }

    public void Dispose() => Bitmap.Dispose();
}

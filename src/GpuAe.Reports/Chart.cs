using GpuAe.IO;
using ScottPlot;

namespace GpuAe.Reports;

/// <summary>
/// A ScottPlot figure and the size it is drawn at. <see cref="SavePng"/> and <see cref="SaveSvg"/> replace the
/// target atomically, so a viewer open on loss.png while training rewrites it never sees half a file.
/// </summary>
internal class Chart(Plot plot, int width, int height) : IDisposable
{
    public Plot Plot { get; } = plot;
    public int Width { get; } = width;
    public int Height { get; } = height;

    /// <summary>The chart as PNG file bytes.</summary>
    public byte[] ToPng() => Plot.GetImageBytes(Width, Height, ImageFormat.Png);

    /// <summary>The chart as an SVG document (text stays text: searchable, sharp at any zoom).</summary>
    public string ToSvg() => Plot.GetSvgXml(Width, Height);

    public void SavePng(string path)
    {
        ChartFonts.WarnIfMissing();
        byte[] png = ToPng();
        AtomicFile.Write(path, s => s.Write(png));
    }

    public void SaveSvg(string path)
    {
        ChartFonts.WarnIfMissing();
        byte[] svg = System.Text.Encoding.UTF8.GetBytes(ToSvg());
        AtomicFile.Write(path, s => s.Write(svg));
    }

    /// <summary>Writes <paramref name="pngPath"/> and the same chart as SVG beside it (same name, .svg).</summary>
    public void SavePngAndSvg(string pngPath)
    {
        SavePng(pngPath);
        SaveSvg(Path.ChangeExtension(pngPath, ".svg"));
    }

    public void Dispose() => Plot.Dispose();
}

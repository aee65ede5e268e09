using SkiaSharp;

namespace GpuAe.Reports;

/// <summary>
/// The font every chart draws its text with. SkiaSharp (under ScottPlot) reads fonts from /usr/share/fonts on
/// Linux and, when it finds none, draws text as nothing without any error: the check here turns that into a
/// sentence a user can act on.
/// </summary>
internal static class ChartFonts
{
    /// <summary>The preferred family (Debian's fonts-dejavu-core); any other installed family is used when it is missing.</summary>
    public const string Preferred = "DejaVu Sans";

    private static readonly Lazy<(string Family, string? Problem)> Resolved = new(Resolve);

    /// <summary>The family charts set on every text element.</summary>
    public static string Family => Resolved.Value.Family;

    /// <summary>Null when text can be drawn; else why charts come out without any text, and what to install.</summary>
    public static string? Problem => Resolved.Value.Problem;

    // Evaluated at most once per process: the warning is printed by the first chart written without a font.
    private static readonly Lazy<bool> Warning = new(() =>
    {
        Console.Error.WriteLine($"warning: {Problem}");
        return true;
    });

    /// <summary>Prints <see cref="Problem"/> to standard error, once per process, when there is one.</summary>
    public static void WarnIfMissing()
    {
        if (Problem is not null) _ = Warning.Value;
    }

    private static (string, string?) Resolve()
    {
        using var preferred = SKFontManager.Default.MatchFamily(Preferred);
        if (Usable(preferred)) return (Preferred, null);
        using var fallback = SKTypeface.Default;
        return Describe(fallback?.FamilyName, fallback?.GlyphCount ?? 0);
    }

    private static bool Usable(SKTypeface? typeface) => typeface is not null && typeface.GlyphCount > 0 && typeface.FamilyName.Length > 0;

    /// <summary>The family to use and the problem, if any, given the default typeface SkiaSharp falls back to.</summary>
    internal static (string Family, string? Problem) Describe(string? fallbackFamily, int fallbackGlyphs) =>
        fallbackGlyphs > 0 && !string.IsNullOrEmpty(fallbackFamily)
            ? (fallbackFamily, null)
            : (Preferred, "no font found in /usr/share/fonts, so the charts are drawn without any text (titles, labels, ticks, legends); "
                          + "install one, e.g. `apt-get install fonts-dejavu-core`");
}

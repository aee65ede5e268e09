using GpuAe.Reports;

namespace GpuAe.Tests.Reports;

public class ChartFontsTests
{
    [Fact]
    public void A_font_is_installed_so_charts_have_text()
    {
        // Fails on a machine without fonts (Debian: apt-get install fonts-dejavu-core), saying so.
        Assert.True(ChartFonts.Problem is null, ChartFonts.Problem);
        Assert.False(string.IsNullOrEmpty(ChartFonts.Family));
    }

    [Fact]
    public void No_usable_typeface_is_reported_with_what_to_install()
    {
        foreach (var (family, glyphs) in new[] { ("", 0), ((string?)null, 0), ("DejaVu Serif", 0) })
        {
            var (_, problem) = ChartFonts.Describe(family, glyphs);
            Assert.NotNull(problem);
            Assert.Contains("no font found", problem);
            Assert.Contains("fonts-dejavu-core", problem);
        }
        Assert.Equal(("Liberation Sans", (string?)null), ChartFonts.Describe("Liberation Sans", 2000));
    }
}

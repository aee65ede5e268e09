using GpuAe.Visualization;

namespace GpuAe.Tests.Visualization;

public class RgbImageTests
{
    [Fact]
    public void Drawing_outside_the_image_is_clipped()
    {
        var image = new RgbImage(4, 3, 0x000000);
        image.SetPixel(-1, 0, 0xFFFFFF);
        image.SetPixel(4, 2, 0xFFFFFF);
        image.FillRect(-10, -10, 11, 11, 0x123456);
        image.DrawLine(-50, 1e9, 1e9, 1e9, 0xFFFFFF, 3);
        image.DrawLine(double.NaN, 0, 2, 2, 0xFFFFFF);
        image.FillCircle(100, 100, 5, 0xFFFFFF);
        image.DrawText(-100, -100, "clip", 0xFFFFFF, 2);

        var expected = new RgbImage(4, 3, 0x000000);
        expected.SetPixel(0, 0, 0x123456);
        Assert.Equal(expected.Pixels.ToArray(), image.Pixels.ToArray());
    }

    [Fact]
    public void Blend_mixes_channels_by_alpha()
    {
        var image = new RgbImage(1, 1, 0x000000);
        image.Blend(0, 0, 0xFF80FF, 0.5);
        Assert.Equal(0x8040_80u, image.GetPixel(0, 0));
    }

    [Fact]
    public void Thick_line_covers_its_axis_and_not_far_beyond()
    {
        var image = new RgbImage(40, 20, 0xFFFFFF);
        image.DrawLine(5, 10, 35, 10, 0x000000, thickness: 4);
        Assert.Equal(0x000000u, image.GetPixel(20, 9));
        Assert.Equal(0x000000u, image.GetPixel(20, 10));
        Assert.Equal(0xFFFFFFu, image.GetPixel(20, 4));
        Assert.Equal(0xFFFFFFu, image.GetPixel(20, 15));
    }

    [Fact]
    public void Text_stays_inside_its_measured_box()
    {
        var image = new RgbImage(100, 40, 0xFFFFFF);
        var (w, h) = RgbImage.MeasureText("AH10", 2);
        Assert.Equal((4 * 6 - 1) * 2, w);
        Assert.Equal(14, h);
        image.DrawText(10, 5, "AH10", 0x000000, 2);
        int inside = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (image.GetPixel(x, y) != 0xFFFFFF)
                {
                    Assert.InRange(x, 10, 10 + w - 1);
                    Assert.InRange(y, 5, 5 + h - 1);
                    inside++;
                }
        Assert.True(inside > 50);
    }

    [Fact]
    public void Vertical_text_is_the_horizontal_text_turned_counter_clockwise()
    {
        var flat = new RgbImage(40, 12, 0xFFFFFF);
        var turned = new RgbImage(12, 40, 0xFFFFFF);
        flat.DrawText(0, 0, "Lg7", 0x000000);
        turned.DrawText(0, 0, "Lg7", 0x000000, vertical: true);
        int length = RgbImage.MeasureText("Lg7").Width;
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < length; x++)
                Assert.Equal(flat.GetPixel(x, y), turned.GetPixel(y, length - 1 - x));
    }

    [Fact]
    public void Every_printable_character_has_a_glyph_and_unknown_ones_draw_a_question_mark()
    {
        for (char c = '!'; c <= '~'; c++)
        {
            var image = new RgbImage(6, 9, 0xFFFFFF);
            image.DrawText(0, 0, c.ToString(), 0x000000);
            Assert.Contains(Enumerable.Range(0, 54), i => image.GetPixel(i % 6, i / 6) == 0);
        }
        var unknown = new RgbImage(6, 9);
        var question = new RgbImage(6, 9);
        unknown.DrawText(0, 0, "é", 0);
        question.DrawText(0, 0, "?", 0);
        Assert.Equal(question.Pixels.ToArray(), unknown.Pixels.ToArray());
    }
}

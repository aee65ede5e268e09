using GpuAe.Reports;
using SkiaSharp;

namespace GpuAe.Tests.Reports;

public class ImageGridTests
{
    private const int H = 4, W = 5, Size = H * W;

    private static float[] Uniform(params float[] values) => [.. values.SelectMany(v => Enumerable.Repeat(v, Size))];

    [Fact]
    public void Rows_place_each_image_in_its_tile_at_whole_pixel_scale()
    {
        // row 0: black, white, mid-grey; row 1: white, black, NaN (drawn red)
        var top = Uniform(0f, 1f, 0.5f);
        var bottom = Uniform(1f, 0f, float.NaN);
        using var grid = ImageGrid.Rows("tiles", [("first row", top), ("second", bottom)], 3, H, W, scale: 3);
        using var image = new Rendered(grid);
        Assert.Equal((grid.Width, grid.Height), (image.Width, image.Height));

        SKColor[][] expected =
        [
            [new(0, 0, 0), new(255, 255, 255), new(128, 128, 128)],
            [new(255, 255, 255), new(0, 0, 0), new(255, 0, 0)],
        ];
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
            {
                var (left, topEdge, width, height) = grid.Tile(r, c);
                Assert.Equal((W * 3, H * 3), (width, height));
                // every pixel of the tile, not just its centre: tiles are exact, unblurred, uncropped
                for (int y = topEdge; y < topEdge + height; y++)
                    for (int x = left; x < left + width; x++)
                        AssertClose(expected[r][c], image[x, y], $"row {r} image {c} at ({x},{y})");
            }
        // the gap between two black/white neighbours is the white background, not image
        var (l0, t0, w0, _) = grid.Tile(0, 0);
        AssertClose(new SKColor(255, 255, 255), image[l0 + w0 + 1, t0 + 2], "gap between tiles");
    }

    [Fact]
    public void Image_pixels_keep_their_orientation()
    {
        var pixels = new float[Size];
        pixels[0] = 1f; // top-left pixel white, the rest black
        using var grid = ImageGrid.Rows(null, [("x", pixels)], 1, H, W, scale: 2);
        using var image = new Rendered(grid);
        var (left, top, width, height) = grid.Tile(0, 0);
        AssertClose(new SKColor(255, 255, 255), image[left, top], "top-left image pixel");
        AssertClose(new SKColor(255, 255, 255), image[left + 1, top + 1], "top-left image pixel, scaled");
        AssertClose(new SKColor(0, 0, 0), image[left + 2, top], "second pixel of the top row");
        AssertClose(new SKColor(0, 0, 0), image[left + width - 1, top + height - 1], "bottom-right pixel");
    }

    [Fact]
    public void Row_labels_and_title_are_drawn()
    {
        var pixels = Uniform(1f, 1f);
        using var labelled = ImageGrid.Rows("a title", [("original", pixels), ("reconstructed", pixels)], 2, H, W, scale: 3);
        using var image = new Rendered(labelled);
        var (left, top, _, _) = labelled.Tile(0, 0);
        Assert.True(image.DarkPixels(0, 0, left - 1, image.Height) > 100, "no row labels left of the images");
        Assert.True(image.DarkPixels(0, 0, image.Width, top - 1) > 50, "no title above the images");
        Assert.Contains("reconstructed", labelled.ToSvg());
    }

    [Fact]
    public void Rows_reject_too_few_pixels_naming_the_row()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageGrid.Rows(null, [("noisy input", new float[Size])], 2, H, W));
        Assert.Contains("'noisy input'", e.Message);
    }

    [Fact]
    public void Latent_grid_puts_the_first_image_top_left_and_labels_the_axes_with_z_values()
    {
        double[] values = [-1.5, -0.5, 0.5, 1.5];
        int n = values.Length;
        var images = new float[n * n * Size];
        Array.Fill(images, 0.5f);
        Array.Fill(images, 1f, 0, Size);                    // first image (row 0, column 0): white
        Array.Fill(images, 0f, (n * n - 1) * Size, Size);   // last (bottom right): black
        using var grid = ImageGrid.LatentGrid("decoder over the latent", images, values, H, W, scale: 4);
        using var image = new Rendered(grid);
        var (left, top, width, height) = grid.Tile(0, 0);
        Assert.Equal((W * 4, H * 4), (width, height));
        AssertClose(new SKColor(255, 255, 255), image[left + width / 2, top + height / 2], "top-left tile");
        var (l3, t3, w3, h3) = grid.Tile(n - 1, n - 1);
        AssertClose(new SKColor(0, 0, 0), image[l3 + w3 / 2, t3 + h3 / 2], "bottom-right tile");
        AssertClose(new SKColor(128, 128, 128), image[left + width + width / 2, top + height / 2], "second tile of the top row");

        string svg = grid.ToSvg();
        Assert.Contains("z₁", svg);
        Assert.Contains("z₂", svg);
        Assert.Contains("-1.50", svg);
        Assert.Contains("+1.50", svg);
        Assert.True(image.DarkPixels(0, t3 + h3 + 2, image.Width, image.Height) > 100, "no z₁ values under the grid");
    }

    private static void AssertClose(SKColor expected, SKColor actual, string where)
    {
        bool close = Math.Abs(expected.Red - actual.Red) <= 2 && Math.Abs(expected.Green - actual.Green) <= 2 && Math.Abs(expected.Blue - actual.Blue) <= 2;
        Assert.True(close, $"{where}: expected {expected}, got {actual}");
    }
}

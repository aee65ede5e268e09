using System.Text;
using GpuAe.Visualization;

namespace GpuAe.Tests.Visualization;

public class PngTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 3, 2)]
    [InlineData(64, 33, 3)]
    [InlineData(300, 5, 4)]
    public void Random_image_round_trips_exactly(int width, int height, int seed)
    {
        var rng = new System.Random(seed);
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image.SetPixel(x, y, (uint)rng.Next(0, 1 << 24));
        AssertRoundTrip(image);
    }

    [Fact]
    public void Smooth_image_round_trips_exactly()
    {
        // Gradients make the encoder prefer Sub, Up, Average or Paeth over None, so every filter is decoded.
        var image = new RgbImage(97, 61);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                image.SetPixel(x, y, (uint)((x * 2) << 16 | (y * 3) << 8 | ((x + y) & 0xFF)));
        image.DrawLine(3, 50, 90, 4, 0xFF0000, 3);
        AssertRoundTrip(image);
    }

    [Fact]
    public void Chunks_are_IHDR_IDAT_IEND_with_valid_crcs()
    {
        var chunks = PngDecoder.ReadChunks(Png.Encode(new RgbImage(10, 10)));
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
    }

    [Fact]
    public void Write_replaces_the_file_and_leaves_no_temporary_file()
    {
        string dir = Directory.CreateTempSubdirectory("gpuae-png-").FullName;
        try
        {
            string path = Path.Combine(dir, "chart.png");
            File.WriteAllText(path, "old contents");
            var image = new RgbImage(5, 4, 0x336699);
            Png.Write(path, image);

            Assert.Equal([path], Directory.GetFiles(dir));
            Assert.Equal(Png.Encode(image), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_error_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gpuae-missing-{Guid.NewGuid():N}", "chart.png");
        var e = Assert.Throws<IOException>(() => Png.Write(path, new RgbImage(2, 2)));
        Assert.Contains(path, e.Message);
    }

    private static void AssertRoundTrip(RgbImage image)
    {
        var (width, height, rgb) = PngDecoder.Decode(Png.Encode(image));
        Assert.Equal(image.Width, width);
        Assert.Equal(image.Height, height);
        Assert.Equal(image.Pixels.ToArray(), rgb);
    }
}

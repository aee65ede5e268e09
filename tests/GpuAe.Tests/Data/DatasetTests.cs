using GpuAe.Data;

namespace GpuAe.Tests.Data;

public sealed class DatasetTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>count samples of 1x2x2 where every pixel of sample i is i.</summary>
    private static Dataset Numbered(int count, byte[]? labels = null) =>
        new("numbered", Enumerable.Range(0, count * 4).Select(i => (float)(i / 4)).ToArray(), count, 1, 2, 2, labels);

    [Fact]
    public void FromIdxBuildsNchwFloatsAndLabels()
    {
        string images = IdxFiles.WriteUInt8(_dir.File("img"), [2, 1, 3], [0, 255, 51, 102, 153, 204]);
        string labels = IdxFiles.WriteUInt8(_dir.File("lab.gz"), [2], [7, 3]);

        Dataset set = Dataset.FromIdx("tiny", images, labels);

        Assert.Equal((2, 1, 1, 3, 3), (set.Count, set.Channels, set.Height, set.Width, set.SampleSize));
        Assert.Equal([0f, 1f, 0.2f, 0.4f, 0.6f, 0.8f], set.Images);
        Assert.Equal([7, 3], set.Labels);
        Assert.Equal([0.4f, 0.6f, 0.8f], set.Sample(1).ToArray());
    }

    [Fact]
    public void FromIdxReadsRank4AsChannels()
    {
        string images = IdxFiles.WriteUInt8(_dir.File("img"), [2, 3, 4, 5]);

        Dataset set = Dataset.FromIdx("rgb", images);

        Assert.Equal((2, 3, 4, 5), (set.Count, set.Channels, set.Height, set.Width));
        Assert.Null(set.Labels);
    }

    [Fact]
    public void LabelCountMismatchNamesBothFiles()
    {
        string images = IdxFiles.WriteUInt8(_dir.File("img"), [3, 2, 2]);
        string labels = IdxFiles.WriteUInt8(_dir.File("lab"), [2]);

        var error = Assert.Throws<InvalidDataException>(() => Dataset.FromIdx("x", images, labels));

        Assert.Equal($"{labels}: label count does not match images: expected 3 (from {images}), found 2", error.Message);
    }

    [Fact]
    public void RankOneImagesAreRejected()
    {
        string images = IdxFiles.WriteUInt8(_dir.File("img"), [10]);

        var error = Assert.Throws<InvalidDataException>(() => Dataset.FromIdx("x", images));

        Assert.Contains("expected images of rank 3 [N,H,W] or 4 [N,C,H,W], found rank 1 (10)", error.Message);
    }

    [Fact]
    public void ConstructorChecksSizes()
    {
        Assert.Throws<ArgumentException>(() => new Dataset("x", new float[7], 2, 1, 2, 2));
        Assert.Throws<ArgumentException>(() => new Dataset("x", new float[8], 2, 1, 2, 2, labels: [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset("x", new float[8], 2, 0, 2, 2));
        Assert.Equal(0, new Dataset("empty", [], 0, 1, 2, 2, []).Count);
    }

    [Fact]
    public void SubsetCopiesTheRange()
    {
        Dataset set = Numbered(5, [0, 1, 2, 3, 4]);

        Dataset sub = set.Subset(1, 3);
        sub.Images[0] = 99;

        Assert.Equal(3, sub.Count);
        Assert.Equal([1, 2, 3], sub.Labels);
        Assert.Equal(1f, set.Images[4]); // the original is untouched
        Assert.Equal([2f, 2f, 2f, 2f], sub.Sample(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Subset(3, 3));
    }

    [Fact]
    public void FilterByLabelKeepsMatchingSamplesInOrder()
    {
        Dataset set = Numbered(5, [3, 1, 3, 0, 3]);

        Dataset threes = set.FilterByLabel(3);

        Assert.Equal(3, threes.Count);
        Assert.Equal([3, 3, 3], threes.Labels);
        Assert.Equal([0f, 2f, 4f], Enumerable.Range(0, 3).Select(i => threes.Sample(i)[0]));
        Assert.Equal(0, set.FilterByLabel(9).Count);
        Assert.Throws<InvalidOperationException>(() => Numbered(2).FilterByLabel(0));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Inf")]
    [InlineData(float.NegativeInfinity, "-Inf")]
    public void ValidateNamesFirstNonFinitePixel(float bad, string shown)
    {
        Dataset set = Numbered(3);
        set.Validate();
        set.Images[1 * 4 + 2] = bad;
        set.Images[2 * 4 + 0] = float.NaN;

        var error = Assert.Throws<InvalidDataException>(set.Validate);

        Assert.Equal($"dataset 'numbered': sample 1, pixel 2 is {shown}", error.Message);
    }
}

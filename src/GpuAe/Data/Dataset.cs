namespace GpuAe.Data;

/// <summary>
/// Images as float32 NCHW (sample-major, then channel, row, column), normally in [0,1], with optional
/// one-byte class labels. This is the host copy that gets uploaded to a device once.
/// </summary>
public sealed class Dataset
{
    /// <summary>Wraps <paramref name="images"/> (not copied) after checking it has the declared size.</summary>
    /// <param name="name">Shown in error messages and reports, e.g. "mnist-train".</param>
    /// <param name="images">count*channels*height*width values, NCHW.</param>
    /// <param name="count">Number of samples; may be 0 (e.g. an empty filter result).</param>
    /// <param name="channels">Channels per sample (1 for MNIST).</param>
    /// <param name="height">Rows per image.</param>
    /// <param name="width">Columns per image.</param>
    /// <param name="labels">One label per sample, or null.</param>
    /// <exception cref="ArgumentException">A size is non-positive or disagrees with the arrays.</exception>
    public Dataset(string name, float[] images, int count, int channels, int height, int width, byte[]? labels = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long sampleSize = (long)channels * height * width;
        if (sampleSize > int.MaxValue || images.LongLength != count * sampleSize)
            throw new ArgumentException(
                $"dataset '{name}': {count} samples of {channels}x{height}x{width} need {count * sampleSize} values, images has {images.LongLength}",
                nameof(images));
        if (labels is not null && labels.Length != count)
            throw new ArgumentException($"dataset '{name}': {count} samples but {labels.Length} labels", nameof(labels));

        Name = name;
        Images = images;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        Labels = labels;
    }

    /// <summary>Name used in messages, e.g. "mnist-train".</summary>
    public string Name { get; }

    /// <summary>All pixels, NCHW, <see cref="Count"/> * <see cref="SampleSize"/> values.</summary>
    public float[] Images { get; }

    /// <summary>Class labels, one per sample, or null when the dataset has none.</summary>
    public byte[]? Labels { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Channels per sample.</summary>
    public int Channels { get; }

    /// <summary>Rows per image.</summary>
    public int Height { get; }

    /// <summary>Columns per image.</summary>
    public int Width { get; }

    /// <summary>Values per sample: Channels * Height * Width (784 for MNIST).</summary>
    public int SampleSize => Channels * Height * Width;

    /// <summary>The pixels of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Sample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Images.AsSpan(index * SampleSize, SampleSize);
    }

    /// <summary>A copy of samples [start, start+count), e.g. to split off a validation set.</summary>
    public Dataset Subset(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"dataset '{Name}' has {Count} samples, asked for [{start}, {(long)start + count})");
        float[] images = Images.AsSpan(start * SampleSize, count * SampleSize).ToArray();
        byte[]? labels = Labels?.AsSpan(start, count).ToArray();
        return new Dataset($"{Name}[{start}..{start + count})", images, count, Channels, Height, Width, labels);
    }

    /// <summary>A copy holding only the samples labelled <paramref name="label"/>, in their original order.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    public Dataset FilterByLabel(int label)
    {
        if (Labels is null)
            throw new InvalidOperationException($"dataset '{Name}' has no labels to filter by");
        int kept = 0;
        foreach (byte l in Labels)
            if (l == label) kept++;

        var images = new float[kept * SampleSize];
        var labels = new byte[kept];
        int next = 0;
        for (int i = 0; i < Count; i++)
        {
            if (Labels[i] != label) continue;
            Sample(i).CopyTo(images.AsSpan(next * SampleSize, SampleSize));
            labels[next++] = Labels[i];
        }
        return new Dataset($"{Name}[label={label}]", images, kept, Channels, Height, Width, labels);
    }

    /// <summary>
    /// Checks every pixel is finite, so a bad input file fails here with its location rather than as a
    /// NaN loss many steps later. Does not check the [0,1] range: standardized data is legitimate.
    /// </summary>
    /// <exception cref="InvalidDataException">A pixel is NaN or infinite; the message names dataset, sample and pixel.</exception>
    public void Validate()
    {
        ReadOnlySpan<float> images = Images;
        for (int i = 0; i < images.Length; i++)
        {
            if (float.IsFinite(images[i])) continue;
            string what = float.IsNaN(images[i]) ? "NaN" : images[i] > 0 ? "+Inf" : "-Inf";
            throw new InvalidDataException($"dataset '{Name}': sample {i / SampleSize}, pixel {i % SampleSize} is {what}");
        }
    }

    /// <summary>
    /// Builds a dataset from an IDX image file (rank 3 [N,H,W] is one channel, rank 4 is [N,C,H,W])
    /// and an optional IDX label file (rank 1, unsigned bytes, one per image).
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed or the two files disagree.</exception>
    public static Dataset FromIdx(string name, string imagesPath, string? labelsPath = null)
    {
        IdxArray images = IdxReader.Read(imagesPath);
        int[] s = images.Shape;
        (int n, int c, int h, int w) = s.Length switch
        {
            3 => (s[0], 1, s[1], s[2]),
            4 => (s[0], s[1], s[2], s[3]),
            _ => throw DataFormat.Error(imagesPath, $"expected images of rank 3 [N,H,W] or 4 [N,C,H,W], found rank {s.Length} ({IdxReader.FormatShape(s)})"),
        };

        byte[]? labels = null;
        if (labelsPath is not null)
        {
            IdxArray labelArray = IdxReader.Read(labelsPath);
            if (labelArray.Shape.Length != 1)
                throw DataFormat.Error(labelsPath, $"expected labels of rank 1 [N], found {IdxReader.FormatShape(labelArray.Shape)}");
            labels = labelArray.Bytes.ToArray();
            if (labels.Length != n)
                throw DataFormat.Error(labelsPath, $"label count does not match images: expected {n} (from {imagesPath}), found {labels.Length}");
        }
        return new Dataset(name, images.ToUnitFloats(), n, c, h, w, labels);
    }
}

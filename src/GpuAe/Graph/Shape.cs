namespace GpuAe.Graph;

/// <summary>An immutable tensor shape (row-major; images are [N, C, H, W]).</summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        foreach (int d in dims)
            if (d <= 0) throw new ArgumentException($"shape [{string.Join(", ", dims)}] has a non-positive dimension");
        _dims = (int[])dims.Clone();
    }

    public int Rank => _dims?.Length ?? 0;
    public int this[int axis] => (_dims ?? [])[axis < 0 ? Rank + axis : axis];
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Product of all dimensions.</summary>
    public long ElementCount
    {
        get { long n = 1; foreach (int d in Dims) n *= d; return n; }
    }

    /// <summary>This shape with a leading batch dimension.</summary>
    public Shape WithBatch(int batch) => new([batch, .. Dims]);

    /// <summary>This shape without its leading dimension.</summary>
    public Shape WithoutBatch() => new(Dims[1..].ToArray());

    public int[] ToArray() => Dims.ToArray();

    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);
    public override string ToString() => $"[{string.Join(", ", Dims.ToArray())}]";
}

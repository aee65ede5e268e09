namespace GpuAe.Backends.Cpu;

/// <summary>An array range; unlike a span it can be captured by the lambdas that fan work out to threads.</summary>
internal readonly record struct HostView<T>(T[] Data, int Offset, int Length)
{
    public Span<T> Span => Data.AsSpan(Offset, Length);
    public Span<T> Part(int start, int length) => Data.AsSpan(Offset + start, length);
    public ref T this[int index] => ref Data[Offset + index];
}

namespace GpuAe.Visualization;

/// <summary>
/// One named line of a chart. Points are joined in the order given; NaN or infinite points (and, on a
/// log axis, values at or below zero) leave a gap. <paramref name="Color"/> is <c>0xRRGGBB</c>; null
/// picks the next colour of the chart palette.
/// </summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, uint? Color = null);

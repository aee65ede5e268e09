namespace GpuAe.Visualization;

/// <summary>Colours shared by all charts (<c>0xRRGGBB</c>).</summary>
internal static class Palette
{
    // Ten well-separated hues (the "category10" set most plotting libraries default to), so MNIST's
    // ten digits each get a colour that stays distinct beside any other.
    private static readonly uint[] Categorical =
    [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ];

    public const uint Background = 0xFFFFFF;
    public const uint Title = 0x1A1A1A;
    public const uint Label = 0x333333;
    public const uint TickLabel = 0x555555;
    public const uint AxisLine = 0x8C8C8C;
    public const uint Grid = 0xE3E3E3;
    public const uint MinorGrid = 0xF2F2F2;
    public const uint LegendBorder = 0xD0D0D0;
    public const uint Muted = 0x9A9A9A;

    /// <summary>Colour number <paramref name="index"/> of the categorical palette; repeats after ten.</summary>
    public static uint Category(int index) => Categorical[((index % Categorical.Length) + Categorical.Length) % Categorical.Length];
}

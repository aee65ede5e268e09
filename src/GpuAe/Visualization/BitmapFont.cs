namespace GpuAe.Visualization;

/// <summary>
/// A 5x7 bitmap font for printable ASCII (32..126), drawn for this project. Each glyph is a 5-wide,
/// 9-tall cell: rows 0..6 are the cap height, rows 7..8 hold descenders (g, j, p, q, y, comma, _).
/// </summary>
internal static class BitmapFont
{
    /// <summary>Glyph columns; the advance adds one blank column between glyphs.</summary>
    public const int GlyphWidth = 5;

    /// <summary>Height of capitals and digits, the height used for layout.</summary>
    public const int CapHeight = 7;

    /// <summary>Rows a glyph may use, descenders included.</summary>
    public const int CellHeight = 9;

    public const int Advance = GlyphWidth + 1;

    // One ulong per glyph, 5 bits per row: row r sits at bits 5r..5r+4, the leftmost column being the
    // highest of those bits. Characters outside 32..126 draw as '?'.
    private static readonly ulong[] Glyphs =
    [
        0x000000000000, 0x000100421084, 0x00000000294A, 0x000295F57D4A, 0x00013C5751E4, 0x0000E6820B38, // ' !"#$%'
        0x00036554524C, 0x000000002084, 0x000088842082, 0x000208210888, 0x000009575480, 0x0000084F9080, // "&'()*+"
        0x004118000000, 0x0000000F8000, 0x000318000000, 0x000020820820, 0x0003A39ACE2E, 0x000388421184, // ',-./01'
        0x0007D041062E, 0x0003A211105F, 0x000085F928C2, 0x0003A210FA1F, 0x0003A31F4106, 0x00021082083F, // '234567'
        0x0003A317462E, 0x00030417C62E, 0x000018C03180, 0x000208C03180, 0x000088882082, 0x000001F07C00, // '89:;<='
        0x000208208888, 0x00010041062E, 0x0003AB56862E, 0x0004631FC62E, 0x0007A31F463E, 0x0003A308422E, // '>?@ABC'
        0x00072518C65C, 0x0007E10F421F, 0x0004210F421F, 0x0003E31BC22E, 0x0004631FC631, 0x00038842108E, // 'DEFGHI'
        0x000324210847, 0x0004654C5251, 0x0007E1084210, 0x0004631AD771, 0x0004633AE631, 0x0003A318C62E, // 'JKLMNO'
        0x0004210F463E, 0x00036558C62E, 0x0004654F463E, 0x00078217420F, 0x00010842109F, 0x0003A318C631, // 'PQRSTU'
        0x00011518C631, 0x0002AB5AC631, 0x000462A22A31, 0x000108422A31, 0x0007E082083F, 0x00039084210E, // 'VWXYZ['
        0x000002222200, 0x00038421084E, 0x000000004544, 0x00F800000000, 0x000000000888, 0x0003E2F0B800, // '\\]^_`a'
        0x0007A31CDA10, 0x0003A3083800, 0x0003E319B421, 0x0003A1F8B800, 0x0002108E2126, 0x0E0BE318BC00, // 'bcdefg'
        0x0004631CDA10, 0x000388423004, 0x0C9084211802, 0x0004A98A4A10, 0x00038842108C, 0x00056B5AE800, // 'hijklm'
        0x0004631CD800, 0x0003A318B800, 0x1087A318F800, 0x010BE318BC00, 0x0004210CD800, 0x000782E83C00, // 'nopqrs'
        0x000192847108, 0x00036718C400, 0x00011518C400, 0x0002AB58C400, 0x000454454400, 0x0E0BE318C400, // 'tuvwxy'
        0x0007D0417C00, 0x000088441082, 0x000108421084, 0x000208411088, 0x0000002AA000, // 'z{|}~'
    ];

    /// <summary>Whether the glyph of <paramref name="c"/> has its pixel (<paramref name="col"/>, <paramref name="row"/>) set.</summary>
    public static bool IsSet(char c, int col, int row)
    {
        int index = c is >= ' ' and <= '~' ? c - ' ' : '?' - ' ';
        return ((Glyphs[index] >> (5 * row + GlyphWidth - 1 - col)) & 1) != 0;
    }

    /// <summary>Size in pixels of <paramref name="text"/> drawn at <paramref name="scale"/>: cap height, descenders excluded.</summary>
    public static (int Width, int Height) Measure(string text, int scale)
    {
        int width = text.Length == 0 ? 0 : text.Length * Advance - 1;
        return (width * scale, CapHeight * scale);
    }
}

using System.Numerics;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// How a unit-stride correlation is laid out so that every tap is a contiguous, shifted slice. Each input plane
/// (Height x Width) is copied into a zero-bordered plane of <see cref="PaddedWidth"/> columns with its first pixel
/// at (<see cref="Top"/>, <see cref="Left"/>) (a negative border crops the source instead); outputs are computed on
/// the padded-width grid, q = oy * PaddedWidth + ox, where columns ox &gt;= OutWidth are computed and dropped. Output
/// q of tap (c, ky, kx) then reads element q + <see cref="TapOffset"/> of the padded planes: one unaligned vector
/// load serves a run of outputs.
/// </summary>
internal readonly record struct DirectConvLayout(
    int Channels, int Height, int Width, int Top, int Left, int OutHeight, int OutWidth,
    int KernelH, int KernelW, int DilationH, int DilationW, int Block)
{
    /// <summary>The layout of the forward pass of geometry <paramref name="g"/> (stride 1): input x, output y.</summary>
    public static DirectConvLayout Forward<T>(ConvGeometry g) where T : unmanaged =>
        new(g.Channels, g.Height, g.Width, g.PadTop, g.PadLeft, g.OutHeight, g.OutWidth, g.KernelH, g.KernelW,
            g.DilationH, g.DilationW, BlockOf<T>());

    /// <summary>
    /// The layout of the data gradient of geometry <paramref name="g"/> (stride 1) as a forward correlation: input
    /// dz [filters, OH, OW], output dx [C, H, W], kernel flipped. dx[iy] gathers dz[iy + PadTop − ky·DilationH], so with
    /// the flipped tap ky' = KH − 1 − ky the source row sits at (KH − 1)·DilationH − PadTop in the padded plane.
    /// </summary>
    public static DirectConvLayout BackwardData<T>(ConvGeometry g, int filters) where T : unmanaged =>
        new(filters, g.OutHeight, g.OutWidth, (g.KernelH - 1) * g.DilationH - g.PadTop, (g.KernelW - 1) * g.DilationW - g.PadLeft,
            g.Height, g.Width, g.KernelH, g.KernelW, g.DilationH, g.DilationW, BlockOf<T>());

    /// <summary>Outputs per microkernel pass along the grid: four vectors (the widest register block).</summary>
    public static int BlockOf<T>() where T : unmanaged => 4 * Vector<T>.Count;

    public int PaddedWidth => OutWidth + (KernelW - 1) * DilationW;
    public int PaddedHeight => OutHeight + (KernelH - 1) * DilationH;

    /// <summary>Kernel taps per output: C·KH·KW.</summary>
    public int Taps => Channels * KernelH * KernelW;

    /// <summary>Outputs on the grid that carry values (the last row's dropped columns included).</summary>
    public int GridLength => OutHeight * PaddedWidth;

    /// <summary>Grid outputs rounded up to whole blocks: the distance between output grids of two filters.</summary>
    public int GridStride => (GridLength + Block - 1) / Block * Block;

    /// <summary>The farthest a tap reaches past its output: (KH − 1)·DilationH·PaddedWidth + (KW − 1)·DilationW.</summary>
    public int TapReach => (KernelH - 1) * DilationH * PaddedWidth + (KernelW - 1) * DilationW;

    /// <summary>Distance between two padded input planes: every tap of every grid output stays inside its plane.</summary>
    public int PlaneStride => GridStride + TapReach;

    public int TapOffset(int ky, int kx) => ky * DilationH * PaddedWidth + kx * DilationW;

    /// <summary>Element offsets of every tap (c, ky, kx) in that order into the padded planes, the list padded with
    /// offset 0 (a harmless in-plane read whose result is dropped) to a multiple of <paramref name="multiple"/>.</summary>
    public void TapOffsets(Span<int> offsets, int multiple)
    {
        int t = 0;
        for (int c = 0; c < Channels; c++)
            for (int ky = 0; ky < KernelH; ky++)
                for (int kx = 0; kx < KernelW; kx++)
                    offsets[t++] = c * PlaneStride + TapOffset(ky, kx);
        offsets[t..PaddedTaps(multiple)].Clear();
    }

    public int PaddedTaps(int multiple) => (Taps + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Copies <see cref="Channels"/> source planes [Height, Width] into padded planes (stride <see cref="PlaneStride"/>).
    /// Writes only the cells the source lands on: the borders must have been cleared once (they stay zero, since every
    /// image of a layout writes the same cells).
    /// </summary>
    public void CopyIntoPadded<T>(ReadOnlySpan<T> source, Span<T> padded) =>
        CopyPlanes(source, Channels, Height, Width, padded, PlaneStride, PaddedHeight, PaddedWidth, Top, Left);

    /// <summary>Copies planes [outputs, OutHeight, OutWidth] onto output grids (stride <see cref="GridStride"/>), columns
    /// ox &gt;= OutWidth and the tail left as they are (cleared once: zero).</summary>
    public void CopyOntoGrid<T>(ReadOnlySpan<T> source, int outputs, Span<T> grid) =>
        CopyPlanes(source, outputs, OutHeight, OutWidth, grid, GridStride, OutHeight, PaddedWidth, 0, 0);

    /// <summary>The inverse of <see cref="CopyOntoGrid"/> for <paramref name="outputs"/> grids: keeps columns ox &lt; OutWidth.</summary>
    public void CropGrid<T>(ReadOnlySpan<T> grid, int outputs, Span<T> destination)
    {
        for (int o = 0; o < outputs; o++)
            for (int oy = 0; oy < OutHeight; oy++)
                grid.Slice(o * GridStride + oy * PaddedWidth, OutWidth).CopyTo(destination.Slice((o * OutHeight + oy) * OutWidth, OutWidth));
    }

    /// <summary>Places each source plane's pixel (r, c) at (r + top, c + left) of a destination plane, dropping what falls outside.</summary>
    private static void CopyPlanes<T>(ReadOnlySpan<T> source, int planes, int height, int width,
        Span<T> destination, int destinationStride, int destinationHeight, int destinationWidth, int top, int left)
    {
        int firstRow = Math.Max(0, -top), endRow = Math.Min(height, destinationHeight - top);
        int firstColumn = Math.Max(0, -left), endColumn = Math.Min(width, destinationWidth - left);
        if (endRow <= firstRow || endColumn <= firstColumn) return;
        int run = endColumn - firstColumn;
        for (int p = 0; p < planes; p++)
            for (int r = firstRow; r < endRow; r++)
                source.Slice((p * height + r) * width + firstColumn, run)
                    .CopyTo(destination.Slice(p * destinationStride + (r + top) * destinationWidth + firstColumn + left, run));
    }
}

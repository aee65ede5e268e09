using System.Numerics;

namespace GpuAe.Backends.Cuda;

/// <summary>GEMM arithmetic: FP32 everywhere (default) or TF32 tensor cores where the device has them.</summary>
public enum GemmPrecision { Fp32, Tf32 }

/// <summary>
/// Launch geometry for every kernel family, as pure functions of the problem size and the device limits
/// (tested for edge shapes without a GPU). The portable kernels index with GID(d) = blockIdx*blockDim +
/// threadIdx and bounds-check only dimension 0, so dimensions 1 and 2 are covered exactly.
/// </summary>
public static class Geometry
{
    public const int ElementwiseBlock = 256;
    /// <summary>REDUCE_LOCAL the reduce/loss PTX was compiled with (block size of those kernels).</summary>
    public const int ReduceBlock = 64;

    public static LaunchGeometry Elementwise(long count)
    {
        if (count > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), count, "kernels index with int");
        return new LaunchGeometry((uint)Math.Max(1, (count + ElementwiseBlock - 1) / ElementwiseBlock), 1, 1, ElementwiseBlock);
    }

    /// <summary>Row kernels: x along a row (block up to 64, rounded to a power of two), y over rows, z over planes.
    /// The portable row bodies bound-check only x, so y and z are exact: rows beyond the device's grid-y limit
    /// are folded into blockDim.y with the smallest divisor of <paramref name="rows"/> that fits (any divisor,
    /// not only powers of two; blockDim.x shrinks to keep the block within 1024 threads), so no thread lands
    /// on a row past the end. Only a row count above the grid-y limit with no divisor in
    /// [rows / maxGridY, 1024] (a large prime, say) is refused.</summary>
    public static LaunchGeometry Rows(int rowLength, int rows, int planes, int maxGridY = 65535, int maxGridZ = 65535)
    {
        if (rowLength < 1 || rows < 1 || planes < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"row launch needs positive sizes, got {rowLength} x {rows} x {planes}");
        if (planes > maxGridZ) throw new NotSupportedException($"a row launch of {planes} planes exceeds the grid-z limit {maxGridZ}");
        uint bx = Math.Min(64u, BitOperations.RoundUpToPowerOf2((uint)rowLength));
        int by = (rows + maxGridY - 1) / maxGridY;
        while (by <= MaxBlock && rows % by != 0) by++;
        if (by > MaxBlock)
            throw new NotSupportedException($"a row launch of {rows} rows exceeds the grid-y limit {maxGridY} and has no divisor up to {MaxBlock} to fold into the block");
        bx = Math.Min(bx, BitOperations.RoundUpToPowerOf2((uint)(MaxBlock / by + 1)) / 2);   // largest power of two <= 1024 / by
        return new LaunchGeometry((uint)((rowLength + bx - 1) / bx), (uint)(rows / by), (uint)planes, bx, (uint)by);
    }

    /// <summary>gather_rows (and _stepped): NDRange (column, row) with both dimensions bound-checked in the
    /// kernel, so rows may be over-covered: blockDim.y is the power of two that brings the grid under the
    /// device's grid-y limit.</summary>
    public static LaunchGeometry Gather(int rowLength, int rows, int maxGridY = 65535)
    {
        if (rowLength < 1 || rows < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"gather needs positive sizes, got {rowLength} x {rows}");
        uint by = BitOperations.RoundUpToPowerOf2((uint)((rows + maxGridY - 1) / maxGridY));
        if (by > MaxBlock) throw new NotSupportedException($"a gather of {rows} rows exceeds the grid-y limit {maxGridY} x {MaxBlock}");
        uint bx = Math.Min(Math.Min(64u, BitOperations.RoundUpToPowerOf2((uint)rowLength)), (uint)MaxBlock / by);
        return new LaunchGeometry((uint)((rowLength + bx - 1) / bx), (uint)((rows + by - 1) / by), 1, bx, by);
    }

    /// <summary>Threads per block, every GPU the backend supports.</summary>
    public const int MaxBlock = 1024;

    /// <summary>Reductions, penalties and row sums: <paramref name="groups"/> blocks of <see cref="ReduceBlock"/> threads
    /// (how many is the shared core's choice, <see cref="GpuBackend"/>).</summary>
    public static LaunchGeometry Groups(int groups) => new((uint)groups, 1, 1, ReduceBlock);

    /// <summary>GEMM tiles (BM, BN) and threads of each kernel configuration.</summary>
    public static (int Bm, int Bn, int Threads) Tile(GemmTile tile) => tile switch
    {
        GemmTile.T128 => (128, 128, 256),
        GemmTile.T64 => (64, 64, 256),
        GemmTile.T32 => (32, 32, 256),
        _ => (64, 64, 128),
    };

    /// <summary>
    /// Picks the GEMM kernel for a shape: TF32 tensor cores when asked for, the device has them (sm_80+) and
    /// the shape is big enough to profit; otherwise the largest FP32 tile whose grid still gives every
    /// multiprocessor about two blocks (the autoencoder's thin shapes fall to 64 or 32).
    /// </summary>
    public static GemmTile ChooseGemm(int m, int n, int k, int multiprocessors, int computeCapability, GemmPrecision precision)
    {
        if (precision == GemmPrecision.Tf32 && computeCapability >= 80 && m >= 64 && n >= 64 && k >= 32) return GemmTile.Tf32;
        long Blocks(int b) => (long)((m + b - 1) / b) * ((n + b - 1) / b);
        int target = 2 * Math.Max(1, multiprocessors);
        if (Blocks(128) >= target) return GemmTile.T128;
        if (Blocks(64) >= target || Math.Min(m, n) > 256) return GemmTile.T64;
        return GemmTile.T32;
    }

    public static LaunchGeometry Gemm(GemmTile tile, int m, int n)
    {
        var (bm, bn, threads) = Tile(tile);
        return new LaunchGeometry((uint)Math.Max(1, (n + bn - 1) / bn), (uint)Math.Max(1, (m + bm - 1) / bm), 1, (uint)threads);
    }
}

/// <summary>The GEMM kernel configurations of gemm.cu (FP32 tiles) and gemm_tc.cu (TF32).</summary>
public enum GemmTile { T128, T64, T32, Tf32 }

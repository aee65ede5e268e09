using GpuAe.Backends;
using GpuAe.Backends.Cuda;

namespace GpuAe.Tests.Cuda;

/// <summary>The spatial kernels' PyTorch options through <see cref="CudaBackend"/> on a fake driver: the launches must
/// match their PTX signatures (the backend refuses otherwise) and carry the values the portable bodies expect.</summary>
public sealed class CudaSpatialFakeDriverTests
{
    [Fact]
    public void Bilinear_and_average_pool_launches_pack_their_options()
    {
        var driver = new FakeCudaDriver(90);
        using var b = new CudaBackend(driver, new CudaOptions());
        var x = b.Allocate(4096);
        var y = b.Allocate(4096);
        var pool = new PoolGeometry(8, 7, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true, CountPadding: false);
        Assert.Equal((5, 4), (pool.OutHeight, pool.OutWidth)); // PyTorch: ceil(7 / 2) + 1 = 5 rows, ceil(6 / 2) + 1 = 4 columns
        b.AvgPoolForward(pool, 3, x.Slice(0, 168), y.Slice(0, 60));
        b.AvgPoolBackward(pool, 3, y.Slice(0, 60), x.Slice(0, 168));
        b.UpsampleBilinearForward(4, 3, 5, 6, 15, true, x.Slice(1, 60), y.Slice(2, 360));
        b.UpsampleBilinearBackward(4, 3, 5, 6, 15, false, y.Slice(2, 360), x.Slice(1, 60));

        // avgpool: (planes, H, W, WH, WW, SH, SW, PT, PL, OH, OW, PB, PR, countPad, x, xOff, y, yOff)
        var avg = driver.Launches.Single(l => l.Entry == "avgpool_forward");
        Assert.Equal(new object[] { 3, 8, 7, 3, 3, 2, 2, 1, 1, 5, 4, 1, 1, 0 }, avg.Arguments[..14]);
        Assert.Contains(driver.Launches, l => l.Entry == "avgpool_backward");
        // bilinear: (planes, H, W, OH, OW, ratioH, ratioW, align, ...): align_corners ratios (in - 1) / (out - 1), else in / out
        var forward = driver.Launches.Single(l => l.Entry == "upsample_bilinear_forward");
        Assert.Equal(new object[] { 4, 3, 5, 6, 15, 2f / 5, 4f / 14, 1 }, forward.Arguments[..8]);
        Assert.Equal(1, forward.Arguments[9]);
        var backward = driver.Launches.Single(l => l.Entry == "upsample_bilinear_backward");
        Assert.Equal(new object[] { 4, 3, 5, 6, 15, 3f / 6, 5f / 15, 0 }, backward.Arguments[..8]);
    }
}

using GpuAe.Backends;
using GpuAe.Backends.Cuda;

namespace GpuAe.Tests.Cuda;

/// <summary>The whole ABI through <see cref="CudaBackend"/> on a fake driver: every launch's arguments must
/// match its PTX signature (the backend refuses otherwise), geometry must cover the domain exactly.</summary>
public sealed class CudaBackendFakeDriverTests
{
    private static (CudaBackend Backend, FakeCudaDriver Driver) Open(int cc = 90, GemmPrecision precision = GemmPrecision.Fp32, int maxGridY = 65535)
    {
        var driver = new FakeCudaDriver(cc, maxGridY: maxGridY);
        return (new CudaBackend(driver, new CudaOptions { Precision = precision }), driver);
    }

    [Fact]
    public void Every_abi_kernel_packs_arguments_that_match_its_ptx_signature()
    {
        var (b, d) = Open();
        using var _ = b;
        var x = b.Allocate(4096);
        var y = b.Allocate(4096);
        var z = b.Allocate(4096);
        var ints = b.Allocate(4096, ElementType.Int32);
        var one = b.Allocate(1);
        var conv = new ConvGeometry(3, 7, 5, 3, 3, 2, 1, 1, 1, 1, 1);
        var pool = new PoolGeometry(7, 5, 2, 2, 2, 2);
        b.Fill(x.Slice(3, 100), 1f);
        b.Copy(x.Slice(0, 10), y.Slice(5, 10));
        b.Axpy(2f, x.Slice(1, 33), y.Slice(2, 33));
        b.Scale(x.Slice(1, 7), 3f);
        b.AddClampedNoise(x.Slice(2, 11), 0.5f, y.Slice(3, 11), 0f, 1f);
        foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                b.Gemm(ta, tb, 7, 5, 3, 1f, x.Slice(1, 21), ta == Transpose.No ? 3 : 7, y.Slice(0, 15), tb == Transpose.No ? 5 : 3,
                    0.5f, z.Slice(2, 35), 5, BiasMode.PerColumn, x.Slice(0, 5), Activation.Relu);
        b.BiasGradient(BiasMode.PerColumn, 9, 4, x.Slice(0, 36), y.Slice(0, 4), false);
        b.BiasGradient(BiasMode.PerRow, 9, 4, x.Slice(0, 36), y.Slice(0, 9), true);
        b.ActivationForward(Activation.Elu, new ActivationParameters(0.25f, 1.5f, 2f, 12f), x.Slice(0, 9), y.Slice(0, 9));
        b.ActivationBackward(Activation.Tanh, ActivationParameters.Default, x.Slice(0, 9), y.Slice(0, 9), z.Slice(0, 9));
        b.ChannelBiasActivation(Activation.Relu, 2, 3, 5, x.Slice(1, 30), y.Slice(2, 3), z.Slice(3, 30));
        b.Im2Col(conv, 2, x.Slice(0, 2 * 3 * 7 * 5), y.Slice(0, conv.PatchSize * 2 * conv.OutHeight * conv.OutWidth));
        b.Col2Im(conv, 2, y.Slice(0, conv.PatchSize * 2 * conv.OutHeight * conv.OutWidth), x.Slice(0, 2 * 3 * 7 * 5));
        b.SwapLeadingAxes(3, 4, 9, x.Slice(0, 108), y.Slice(0, 108));
        b.SwapLeadingAxes(3, 4, 2, x.Slice(0, 24), y.Slice(0, 24));
        b.MaxPoolForward(pool, 6, x.Slice(0, 210), y.Slice(0, 6 * 12), ints.Slice(0, 6 * 12));
        b.MaxPoolBackward(pool, 6, y.Slice(0, 6 * 12), ints.Slice(0, 6 * 12), x.Slice(0, 210));
        b.AvgPoolForward(pool, 6, x.Slice(0, 210), y.Slice(0, 6 * 12));
        b.AvgPoolBackward(pool, 6, y.Slice(0, 6 * 12), x.Slice(0, 210));
        b.UpsampleNearestForward(4, 3, 5, 2, 3, x.Slice(0, 60), y.Slice(0, 360));
        b.UpsampleNearestBackward(4, 3, 5, 2, 3, y.Slice(0, 360), x.Slice(0, 60));
        b.Loss(LossKind.BinaryCrossEntropyWithLogits, x.Slice(0, 100), y.Slice(0, 100), 0.01f, one.All, true, z.Slice(0, 100));
        b.Loss(LossKind.SquaredError, x.Slice(0, 100), y.Slice(0, 100), 0.01f, one.All, false, null);
        foreach (var kind in Enum.GetValues<OptimizerKind>())
            b.OptimizerUpdate(new OptimizerStep(kind, 1e-3f, 3), x.Slice(0, 50), y.Slice(0, 50), z.Slice(0, 50), z.Slice(50, 50));
        b.GatherRows(x.Slice(0, 100), 10, ints.Slice(0, 4), y.Slice(0, 40));
        b.Random(RandomDistribution.Normal, 42, 7, x.Slice(1, 9));
        b.Sum(x.Slice(0, 1000), one.All, false);
        b.RowSums(10, 7, x.Slice(0, 70), y.Slice(0, 10));
        b.ActivityPenalty(ActivityPenaltyKind.KlSparsity, 9, 70, x.Slice(0, 630), 0.5f, 0.05f, one.All, z.Slice(0, 630));
        b.ContractivePenalty(Activation.Sigmoid, 9, 7, 11, x.Slice(0, 63), y.Slice(0, 77), 0.1f, one.All, z.Slice(0, 63), z.Slice(100, 77));
        b.VaeReparameterizeForward(x.Slice(1, 40), x.Slice(50, 40), y.Slice(3, 40), z.Slice(7, 40));
        b.VaeReparameterizeBackward(x.Slice(1, 40), x.Slice(50, 40), y.Slice(3, 40), 0.5f, one.All, true,
            new VaeGradients(y.Slice(100, 40), z.Slice(100, 40), z.Slice(200, 40)));
        b.VaeReparameterizeBackward(x.Slice(1, 40), x.Slice(50, 40), y.Slice(3, 40), 0.5f, one.All, false, null);

        var entries = d.Launches.Select(l => l.Entry).ToHashSet();
        foreach (var name in new[] { "fill", "axpy", "scale", "add_clamped_noise", "gemm_f32_t32_nn", "gemm_f32_t32_nt", "gemm_f32_t32_tn", "gemm_f32_t32_tt",
                     "column_sums", "row_sums", "activation_forward_elu", "activation_backward_tanh", "channel_bias_activation_relu", "im2col", "col2im", "swap_leading_axes",
                     "swap_leading_axes_3d", "maxpool_forward", "maxpool_backward", "avgpool_forward", "avgpool_backward",
                     "upsample_nearest_forward", "upsample_nearest_backward", "loss_partials", "sum_final", "optimizer_update",
                     "gather_rows", "random_fill", "sum_partials", "activity_penalty", "contractive_penalty",
                     "vae_reparameterize_forward", "vae_reparameterize_backward_partials" })
            Assert.Contains(name, entries);
        // values arrive as packed: the GEMM's (m, n, k, alpha, A, aOff ...) and the u64 seed of random_fill
        var gemm = d.Launches.First(l => l.Entry == "gemm_f32_t32_nn");
        Assert.Equal(new object[] { 7, 5, 3, 1f }, gemm.Arguments[..4]);
        Assert.Equal(1, gemm.Arguments[5]);
        Assert.Equal((int)Activation.Relu, gemm.Arguments[17]);
        // the standalone activations take (n, x, xOff, y, yOff, slope, alpha, beta, threshold)
        var elu = d.Launches.First(l => l.Entry == "activation_forward_elu");
        Assert.Equal(9, elu.Arguments[0]);
        Assert.Equal(new object[] { 0.25f, 1.5f, 2f, 12f }, elu.Arguments[5..]);
        var tanh = d.Launches.First(l => l.Entry == "activation_backward_tanh");
        Assert.Equal(new object[] { 0.01f, 1f, 1f, 20f }, tanh.Arguments[7..]);
        var rand = d.Launches.First(l => l.Entry == "random_fill");
        Assert.Equal(42UL, rand.Arguments[1]);
        Assert.Equal(7UL, rand.Arguments[2]);
        Assert.Equal(9, rand.Arguments[5]);
        var vae = d.Launches.First(l => l.Entry == "vae_reparameterize_backward_partials");
        Assert.Equal(40, vae.Arguments[0]);
        Assert.Equal(0.5f, vae.Arguments[9]);
        Assert.Equal(1, vae.Arguments[14]);
        Assert.Equal(0, d.Launches.Last(l => l.Entry == "vae_reparameterize_backward_partials").Arguments[14]);
        // device pointers are real allocations
        foreach (var launch in d.Launches)
            foreach (var p in launch.Arguments.OfType<ulong>().Where(v => v >= 0x1000_0000))
                Assert.True(d.IsInside(p, 4), $"{launch.Entry}: pointer 0x{p:x} is not an allocation");
    }

    [Fact]
    public void A_launch_whose_arguments_do_not_match_the_ptx_is_refused()
    {
        // the packer and the PTX disagree on purpose: a signature check failure names both
        var good = PtxModule.Load("elementwise").Entries["fill"];
        var bad = new KernelSignature(0, 0).Append(ParamKind.UInt64).Append(ParamKind.Int32).Append(ParamKind.Int32).Append(ParamKind.Int32);
        Assert.NotEqual(good, bad);
        Assert.Equal("(u64, i32, i32, f32)", good.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(1_000_003)]
    public void Elementwise_geometry_covers_every_element(int n)
    {
        var (b, d) = Open();
        using var _ = b;
        var x = b.Allocate(n + 5);
        b.Fill(x.Slice(5, n), 0f);
        var g = d.Launches.Single().Geometry;
        Assert.True(g.Threads >= n);
        Assert.True(g.Threads - n < Geometry.ElementwiseBlock);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 1)]
    [InlineData(28, 256 * 28, 1)]
    [InlineData(28, 256 * 16 * 28, 1)]      // > 65535 rows: folded into blockDim.y
    [InlineData(64, 65535, 3)]
    [InlineData(100, 131_072, 2)]
    [InlineData(28, 177_147, 1)]            // 3^11 > 65535 rows, no power-of-two divisor: folded by 3
    [InlineData(700, 1000 * 65_000, 1)]     // divisor 1000: blockDim.x shrinks to keep 1024 threads
    public void Row_geometry_covers_rows_exactly_and_columns_fully(int rowLength, int rows, int planes)
    {
        var g = Geometry.Rows(rowLength, rows, planes);
        Assert.True(g.GridX * g.BlockX >= rowLength && (g.GridX - 1) * g.BlockX < rowLength);
        Assert.Equal(rows, (int)(g.GridY * g.BlockY));
        Assert.Equal(planes, (int)g.GridZ);
        Assert.True(g.GridY <= 65535 && g.BlockX * g.BlockY <= 1024);
    }

    [Fact]
    public void Every_activation_launches_its_own_kernel_as_the_opencl_backend_does()
    {
        var (b, d) = Open();
        using var _ = b;
        var x = b.Allocate(6);
        foreach (var activation in Enum.GetValues<Activation>())
        {
            // Activation.LeakyRelu -> leaky_relu (the suffix of activation.cl's GPUAE_ACTIVATION_KERNELS)
            var name = System.Text.RegularExpressions.Regex.Replace(activation.ToString(), "(?<=[a-z])([A-Z])", "_$1").ToLowerInvariant();
            b.ActivationForward(activation, ActivationParameters.Default, x.All, x.All);
            Assert.Equal($"activation_forward_{name}", d.Launches[^1].Entry);
            b.ActivationBackward(activation, ActivationParameters.Default, x.All, x.All, x.All);
            Assert.Equal($"activation_backward_{name}", d.Launches[^1].Entry);
            b.ChannelBiasActivation(activation, 1, 2, 3, x.All, x.Slice(0, 2), x.All);
            Assert.Equal($"channel_bias_activation_{name}", d.Launches[^1].Entry);
            Assert.Equal(new KernelEntry("activation", $"activation_forward_{name}"), PortableKernels.ActivationForward(activation));
        }
    }


    [Theory]
    [InlineData(1, 1)]
    [InlineData(784, 256)]
    [InlineData(10, 65_537)]
    [InlineData(3, 60_000_000)]
    public void Gather_geometry_covers_every_element_within_device_limits(int rowLength, int rows)
    {
        var g = Geometry.Gather(rowLength, rows);
        Assert.True(g.GridX * g.BlockX >= rowLength && (long)g.GridY * g.BlockY >= rows);
        Assert.True(g.GridY <= 65535 && g.BlockX * g.BlockY <= 1024);
    }

    [Fact]
    public void Row_geometry_refuses_what_it_cannot_cover_exactly()
    {
        var e = Assert.Throws<NotSupportedException>(() => Geometry.Rows(8, 65537, 1)); // prime > 65535
        Assert.Contains("grid-y limit", e.Message);
    }

    [Fact]
    public void Maxpool_over_many_planes_launches_within_device_limits()
    {
        var (b, d) = Open();
        using var _ = b;
        var pool = new PoolGeometry(28, 28, 2, 2, 2, 2);
        int planes = 256 * 16;
        var x = b.Allocate(planes * 28 * 28);
        var y = b.Allocate(planes * 14 * 14);
        var a = b.Allocate(planes * 14 * 14, ElementType.Int32);
        b.MaxPoolForward(pool, planes, x.All, y.All, a.All);
        b.MaxPoolBackward(pool, planes, y.All, a.All, x.All);
        Assert.All(d.Launches, l => Assert.True(l.Geometry.GridY <= 65535));
        Assert.Equal(planes * 28, (int)(d.Launches[1].Geometry.GridY * d.Launches[1].Geometry.BlockY));
    }

    [Theory]
    [InlineData(4096, 4096, 4096, GemmTile.T128)]
    [InlineData(1024, 1024, 1024, GemmTile.T64)]
    [InlineData(256, 32, 784, GemmTile.T32)]      // dense32 encoder forward
    [InlineData(256, 784, 32, GemmTile.T32)]      // decoder forward: 200 blocks of 32x32 beat 52 of 64x64
    [InlineData(784, 32, 256, GemmTile.T32)]      // encoder weight gradient
    [InlineData(1, 1, 1, GemmTile.T32)]
    public void Gemm_tile_is_chosen_per_shape(int m, int n, int k, GemmTile expected)
    {
        Assert.Equal(expected, Geometry.ChooseGemm(m, n, k, 132, 90, GemmPrecision.Fp32));
        var g = Geometry.Gemm(expected, m, n);
        var (bm, bn, _) = Geometry.Tile(expected);
        Assert.True(g.GridX * bn >= n && g.GridY * bm >= m);
    }

    [Fact]
    public void Tf32_is_opt_in_and_needs_sm80()
    {
        Assert.Equal(GemmTile.Tf32, Geometry.ChooseGemm(4096, 4096, 4096, 132, 90, GemmPrecision.Tf32));
        Assert.Equal(GemmTile.T128, Geometry.ChooseGemm(4096, 4096, 4096, 132, 75, GemmPrecision.Tf32));
        Assert.Equal(GemmTile.T32, Geometry.ChooseGemm(16, 16, 16, 132, 90, GemmPrecision.Tf32));

        var (b, d) = Open(cc: 90, precision: GemmPrecision.Tf32);
        using var _ = b;
        var x = b.Allocate(128 * 128);
        b.Gemm(Transpose.Yes, Transpose.No, 128, 128, 128, 1f, x.All, 128, x.All, 128, 0f, x.All, 128);
        Assert.Equal("gemm_tf32_tn", d.Launches.Single().Entry);
        Assert.Equal(new LaunchGeometry(2, 2, 1, 128), d.Launches.Single().Geometry);
    }

    [Fact]
    public void Kernel_args_are_naturally_aligned_and_point_into_the_stack_block()
    {
        unsafe
        {
            byte* buffer = stackalloc byte[KernelArgs.BufferBytes];
            var a = new KernelArgs(buffer + 1).Int(1).U64(2).Float(3f).Ptr(4).Int(5);   // odd base: the packer realigns
            Assert.Equal("(i32, u64, f32, u64, i32)", a.Signature.ToString());
            var offsets = new int[5];
            for (int i = 0; i < 5; i++) offsets[i] = a.OffsetOf(i);
            Assert.Equal(new[] { 0, 8, 16, 24, 32 }, offsets);
            Assert.Equal(0, (long)a.Pointers % 8);
            Assert.Equal(2UL, *(ulong*)a.Pointers[1]);
            Assert.Equal(3f, *(float*)a.Pointers[2]);
            Assert.Equal(36, a.ValueBytes);
        }
    }

    [Fact]
    public void Launching_allocates_nothing_managed()
    {
        var (b, d) = Open();
        using var _ = b;
        var x = b.Allocate(1000);
        var y = b.Allocate(1000);
        b.Axpy(1f, x.All, y.All);   // warm: module load, function lookup
        d.Launches.Clear();
        d.Calls.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) b.Axpy(1f, x.All, y.All);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // the fake driver records each launch (a few objects per call); the backend adds nothing per launch
        Assert.True(allocated < 100 * 400, $"{allocated} bytes for 100 launches");
    }

    [Fact]
    public void Tensor_core_module_is_not_loaded_on_pre_ampere_devices()
    {
        var (b, d) = Open(cc: 70);
        using var _ = b;
        b.WarmUp();
        Assert.DoesNotContain("gemm_tc", d.LoadedModules);
        Assert.Contains("gemm", d.LoadedModules);
    }

    [Fact]
    public void Dispose_frees_every_allocation_it_made()
    {
        var d = new FakeCudaDriver();
        var b = new CudaBackend(d);
        var x = b.Allocate(10);
        b.Upload(x.All, new float[10]);
        x.Dispose();
        b.Dispose();
        Assert.Equal(0, d.LiveAllocations);
    }
}

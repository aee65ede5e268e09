using GpuAe.Backends;
using GpuAe.Backends.Cpu;

namespace GpuAe.Tests.Cpu;

/// <summary>The VAE reparameterization kernels of the CPU reference against naive double loops.</summary>
public class CpuKernelVaeTests
{
    private static (double[] Mean, double[] LogVar, double[] Eps, double[] Dz) Inputs(int n, int seed)
    {
        var random = new System.Random(seed);
        return (Kernel.RandomValues(random, n, -2, 2), Kernel.RandomValues(random, n, -6, 3),
            Kernel.RandomValues(random, n, -3, 3), Kernel.RandomValues(random, n));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(2560)]
    public void Forward_is_mean_plus_sd_times_epsilon(int n)
    {
        using var backend = new CpuBackend("managed");
        var (mean, logVar, eps, _) = Inputs(n, n);
        var z = backend.Reals(new float[n]);
        backend.VaeReparameterizeForward(backend.Reals(mean), backend.Reals(logVar), backend.Reals(eps), z);
        var expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = mean[i] + Math.Exp(0.5 * logVar[i]) * eps[i];
        Kernel.AssertClose(expected, backend.Floats(z), "z");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(61, true)]
    [InlineData(4099, false)]
    public void Backward_gives_the_gradients_and_the_scaled_kl(int n, bool accumulate)
    {
        using var backend = new CpuBackend("managed");
        var (mean, logVar, eps, dz) = Inputs(n, 3 * n);
        const float klScale = 0.25f;
        var loss = backend.Reals(new[] { 2f });
        var dMean = backend.Reals(new float[n]);
        var dLogVar = backend.Reals(new float[n]);
        backend.VaeReparameterizeBackward(backend.Reals(mean), backend.Reals(logVar), backend.Reals(eps), klScale, loss, accumulate,
            new VaeGradients(backend.Reals(dz), dMean, dLogVar));

        double kl = 0;
        var wantMean = new double[n];
        var wantLogVar = new double[n];
        for (int i = 0; i < n; i++)
        {
            double variance = Math.Exp(logVar[i]);
            kl += 0.5 * (mean[i] * mean[i] + variance - 1 - logVar[i]);
            wantMean[i] = dz[i] + klScale * mean[i];
            wantLogVar[i] = 0.5 * dz[i] * Math.Sqrt(variance) * eps[i] + 0.5 * klScale * (variance - 1);
        }
        Kernel.AssertClose([klScale * kl + (accumulate ? 2 : 0)], backend.Floats(loss), "loss");
        Kernel.AssertClose(wantMean, backend.Floats(dMean), "dMean");
        Kernel.AssertClose(wantLogVar, backend.Floats(dLogVar), "dLogVar");
    }

    [Fact]
    public void Without_gradients_only_the_kl_is_written_and_dmean_may_alias_dz()
    {
        using var backend = new CpuBackend("managed");
        var (mean, logVar, eps, dz) = Inputs(9, 5);
        var loss = backend.Reals(new[] { 0f });
        backend.VaeReparameterizeBackward(backend.Reals(mean), backend.Reals(logVar), backend.Reals(eps), 1f, loss, false, null);
        double kl = 0;
        for (int i = 0; i < 9; i++) kl += 0.5 * (mean[i] * mean[i] + Math.Exp(logVar[i]) - 1 - logVar[i]);
        Kernel.AssertClose([kl], backend.Floats(loss), "loss");

        var shared = backend.Reals(dz);
        var dLogVar = backend.Reals(new float[9]);
        backend.VaeReparameterizeBackward(backend.Reals(mean), backend.Reals(logVar), backend.Reals(eps), 0.5f, loss, false,
            new VaeGradients(shared, shared, dLogVar));
        var want = new double[9];
        for (int i = 0; i < 9; i++) want[i] = dz[i] + 0.5 * mean[i];
        Kernel.AssertClose(want, backend.Floats(shared), "dMean over dz");
    }
}

using GpuAe.Analysis;
using GpuAe.Backends.Cpu;
using GpuAe.Data;
using GpuAe.Tests.Training;
using MathNet.Numerics.LinearAlgebra;

namespace GpuAe.Tests.Analysis;

[Collection("mnist")]
public class PcaTests(MnistFixture mnist)
{
    [Fact]
    public void Axes_and_variances_match_an_svd_of_the_centered_data()
    {
        // 300 samples in 7 dimensions with very different spreads along a random rotation.
        const int n = 300, d = 7;
        var rng = new System.Random(5);
        var rotation = Matrix<double>.Build.Random(d, d, 11).QR().Q;
        var images = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            var latent = Vector<double>.Build.Dense(d, j => (rng.NextDouble() - 0.5) * Math.Pow(2, -j));
            var x = rotation * latent;
            for (int j = 0; j < d; j++) images[i * d + j] = (float)(0.5 + x[j]);
        }
        var data = new Dataset("synthetic", images, n, 1, 1, d);
        using var backend = new CpuBackend();

        var pca = Pca.Fit(backend, data);

        var centered = Matrix<double>.Build.Dense(n, d, (i, j) => images[i * d + j] - pca.Mean[j]);
        var svd = centered.Svd();
        for (int a = 0; a < d; a++)
        {
            double expected = svd.S[a] * svd.S[a] / n;
            Assert.True(Math.Abs(pca.Eigenvalues[a] - expected) <= 1e-6 + 1e-3 * expected, $"variance {a}: {pca.Eigenvalues[a]} vs {expected}");
            // Axes agree up to sign.
            double dot = Enumerable.Range(0, d).Sum(j => pca.Axes[a * d + j] * svd.VT[a, j]);
            Assert.True(Math.Abs(Math.Abs(dot) - 1) < 1e-3, $"axis {a}: |cos| = {Math.Abs(dot)}");
        }
        var errors = Enumerable.Range(1, d).Select(k => pca.Error(data, k).Mse).ToArray();
        Assert.True(errors.Zip(errors.Skip(1)).All(p => p.Second <= p.First + 1e-12), string.Join(", ", errors));
        Assert.True(errors[^1] < 1e-9, $"all axes reconstruct exactly: {errors[^1]}");
    }

    [SkippableFact]
    public void Mnist_test_mse_matches_the_published_pca_baseline()
    {
        var (train, test) = mnist.Data;
        using var backend = new CpuBackend();
        var pca = Pca.Fit(backend, train);

        // Reference (DESIGN.md): k=2 0.0557, k=30 0.01769 (Hinton & Salakhutdinov 2006), k=32 0.01683.
        foreach (var (k, expected) in new[] { (2, 0.0557), (30, 0.01769), (32, 0.01683) })
        {
            double mse = pca.Error(test, k).Mse;
            Assert.True(Math.Abs(mse - expected) <= 0.01 * expected, $"k={k}: test MSE {mse:0.00000} vs {expected}");
        }
    }
}

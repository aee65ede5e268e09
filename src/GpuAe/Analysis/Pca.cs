using GpuAe.Backends;
using GpuAe.Data;
using MathNet.Numerics.LinearAlgebra;

namespace GpuAe.Analysis;

/// <summary>Reconstruction quality of a linear code: MSE and BCE per pixel (BCE with the reconstruction
/// clamped to [1e-7, 1 - 1e-7], as Keras does).</summary>
public readonly record struct ReconstructionError(double Mse, double Bce);

/// <summary>
/// The PCA baseline an autoencoder is compared with: principal axes of the training images, and test
/// reconstructions from the first k. The covariance XᵀX runs as one GEMM on the chosen backend (float32),
/// the symmetric eigen-decomposition of the d x d matrix in float64 on the host.
/// </summary>
public sealed class Pca
{
    private Pca(float[] mean, double[] eigenvalues, float[] axes, int dimension)
    {
        Mean = mean;
        Eigenvalues = eigenvalues;
        Axes = axes;
        Dimension = dimension;
    }

    /// <summary>Per-pixel mean of the training set.</summary>
    public float[] Mean { get; }

    /// <summary>Variances along the axes, largest first.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>Unit principal axes as rows, [d, d], largest variance first.</summary>
    public float[] Axes { get; }

    public int Dimension { get; }

    public static Pca Fit(IBackend backend, Dataset train)
    {
        int n = train.Count, d = train.SampleSize;
        var mean = new float[d];
        var sums = new double[d];
        for (int i = 0; i < n; i++)
        {
            var sample = train.Sample(i);
            for (int j = 0; j < d; j++) sums[j] += sample[j];
        }
        for (int j = 0; j < d; j++) mean[j] = (float)(sums[j] / n);
        var centered = new float[(long)n * d];
        for (int i = 0; i < n; i++)
        {
            var sample = train.Sample(i);
            for (int j = 0; j < d; j++) centered[(long)i * d + j] = sample[j] - mean[j];
        }

        // Covariance = Xcᵀ Xc / n on the device: one [d, n] x [n, d] GEMM.
        using var x = backend.Allocate(centered.LongLength);
        using var covariance = backend.Allocate((long)d * d);
        backend.Upload(x.All, centered);
        backend.Gemm(Transpose.Yes, Transpose.No, d, d, n, 1f / n, x.All, d, x.All, d, 0f, covariance.All, d);
        var host = new double[(long)d * d];
        backend.Download(covariance.All, host);

        var matrix = Matrix<double>.Build.Dense(d, d, (r, c) => 0.5 * (host[(long)r * d + c] + host[(long)c * d + r]));
        var evd = matrix.Evd(Symmetricity.Symmetric);
        // MathNet orders eigenvalues ascending; we want the largest variance first.
        var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var eigenvalues = order.Select(i => evd.EigenValues[i].Real).ToArray();
        var axes = new float[(long)d * d];
        for (int row = 0; row < d; row++)
            for (int j = 0; j < d; j++) axes[(long)row * d + j] = (float)evd.EigenVectors[j, order[row]];
        return new Pca(mean, eigenvalues, axes, d);
    }

    /// <summary>Codes of the first k axes, [count, k].</summary>
    public float[] Encode(Dataset data, int k)
    {
        CheckK(k);
        CheckSize(data);
        var codes = new float[(long)data.Count * k];
        for (int i = 0; i < data.Count; i++)
        {
            var sample = data.Sample(i);
            for (int a = 0; a < k; a++)
            {
                double dot = 0;
                for (int j = 0; j < Dimension; j++) dot += (sample[j] - Mean[j]) * Axes[(long)a * Dimension + j];
                codes[(long)i * k + a] = (float)dot;
            }
        }
        return codes;
    }

    /// <summary>mean + Σ_a code_a axis_a for each sample, [count, d].</summary>
    public float[] Reconstruct(Dataset data, int k)
    {
        var codes = Encode(data, k);
        var result = new float[(long)data.Count * Dimension];
        for (int i = 0; i < data.Count; i++)
        {
            var row = result.AsSpan((int)((long)i * Dimension), Dimension);
            Mean.CopyTo(row);
            for (int a = 0; a < k; a++)
            {
                float c = codes[(long)i * k + a];
                var axis = Axes.AsSpan((int)((long)a * Dimension), Dimension);
                for (int j = 0; j < Dimension; j++) row[j] += c * axis[j];
            }
        }
        return result;
    }

    /// <summary>Test-set reconstruction error with the first k axes.</summary>
    public ReconstructionError Error(Dataset data, int k)
    {
        var reconstruction = Reconstruct(data, k);
        double squared = 0, crossEntropy = 0;
        for (long i = 0; i < reconstruction.LongLength; i++)
        {
            double t = data.Images[i], p = reconstruction[i], e = p - t;
            squared += e * e;
            double q = Math.Clamp(p, 1e-7, 1 - 1e-7);
            crossEntropy -= t * Math.Log(q) + (1 - t) * Math.Log(1 - q);
        }
        return new ReconstructionError(squared / reconstruction.LongLength, crossEntropy / reconstruction.LongLength);
    }

    private void CheckK(int k)
    {
        if (k < 1 || k > Dimension) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{Dimension}");
    }

    private void CheckSize(Dataset data)
    {
        if (data.SampleSize != Dimension)
            throw new ArgumentException($"data set {data.Name} has {data.SampleSize} values per sample, the PCA was fitted on {Dimension}");
    }
}

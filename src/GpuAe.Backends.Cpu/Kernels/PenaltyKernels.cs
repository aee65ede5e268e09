using System.Buffers;
using System.Numerics;
using GpuAe.Backends;

namespace GpuAe.Backends.Cpu.Kernels;

/// <summary>
/// Penalties on the code h [batch, units], fused with their gradients (see <see cref="IBackend.ActivityPenalty"/> and
/// <see cref="IBackend.ContractivePenalty"/>). Unit j owns column j of h (and row j of W): its statistics are summed
/// in double, batch order, by one thread; the per-unit loss terms are added in unit order, so the result does not
/// depend on the thread count. Every output accumulates.
/// </summary>
internal static class PenaltyKernels
{
    public static void Activity<T>(ActivityPenaltyKind kind, int batch, int units, HostView<T> h, double strength, double rho,
        HostView<T> loss, HostView<T> dh) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (batch == 0 || units == 0) return;
        double perSample = strength / batch;
        bool withGradient = dh.Data is not null;
        PerUnit(units, batch, loss, j =>
        {
            double column = 0;
            for (int b = 0; b < batch; b++)
            {
                double v = double.CreateTruncating(h[b * units + j]);
                column += kind == ActivityPenaltyKind.L1 ? Math.Abs(v) : v;
            }
            if (kind == ActivityPenaltyKind.L1)
            {
                if (withGradient)
                    for (int b = 0; b < batch; b++)
                        dh[b * units + j] += T.CreateTruncating(perSample * Math.Sign(double.CreateTruncating(h[b * units + j])));
                return perSample * column;
            }
            double r = Math.Clamp(column / batch, PenaltyConstants.KlClamp, 1 - (double)PenaltyConstants.KlClamp);
            if (withGradient)
            {
                var slope = T.CreateTruncating(perSample * ((1 - rho) / (1 - r) - rho / r));
                for (int b = 0; b < batch; b++) dh[b * units + j] += slope;
            }
            return strength * (rho * Math.Log(rho / r) + (1 - rho) * Math.Log((1 - rho) / (1 - r)));
        });
    }

    public static void Contractive<T>(Activation activation, int batch, int units, int inputs, HostView<T> h, HostView<T> weight,
        double strength, HostView<T> loss, HostView<T> dh, HostView<T> dWeight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool sigmoid = activation switch
        {
            Activation.Sigmoid => true,
            Activation.Relu => false,
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "the contractive penalty has a closed form for sigmoid and relu codes only"),
        };
        if (batch == 0 || units == 0) return;
        double perSample = strength / batch;
        bool withDh = dh.Data is not null && sigmoid, withDw = dWeight.Data is not null;
        PerUnit(units, batch + inputs, loss, j =>
        {
            double rowSquares = 0;
            for (int i = 0; i < inputs; i++)
            {
                double w = double.CreateTruncating(weight[j * inputs + i]);
                rowSquares += w * w;
            }
            double c = 0;
            for (int b = 0; b < batch; b++)
            {
                double v = double.CreateTruncating(h[b * units + j]);
                // ‖∂h_j/∂x‖² = f'(z_j)² S_j, f' written through h: h(1-h) for sigmoid, [h > 0] for relu
                c += sigmoid ? v * v * (1 - v) * (1 - v) : v > 0 ? 1 : 0;
                if (withDh) dh[b * units + j] += T.CreateTruncating(perSample * 2 * v * (1 - v) * (1 - 2 * v) * rowSquares);
            }
            if (withDw)
                for (int i = 0; i < inputs; i++)
                    dWeight[j * inputs + i] += T.CreateTruncating(perSample * 2 * c * double.CreateTruncating(weight[j * inputs + i]));
            return perSample * c * rowSquares;
        });
    }

    /// <summary>Runs <paramref name="unit"/> for every unit (in parallel; each writes only its own column/row) and
    /// adds the returned loss terms to loss[0] in unit order, unless <paramref name="loss"/> is empty.</summary>
    private static void PerUnit<T>(int units, int workPerUnit, HostView<T> loss, Func<int, double> unit)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] terms = ArrayPool<double>.Shared.Rent(Math.Max(1, units));
        try
        {
            CpuParallel.For(units, Math.Max(1, 16384 / Math.Max(1, workPerUnit)), (first, last) =>
            {
                for (int j = first; j < last; j++) terms[j] = unit(j);
            });
            if (loss.Data is null) return;
            double total = 0;
            for (int j = 0; j < units; j++) total += terms[j];
            loss[0] += T.CreateTruncating(total);
        }
        finally { ArrayPool<double>.Shared.Return(terms); }
    }
}

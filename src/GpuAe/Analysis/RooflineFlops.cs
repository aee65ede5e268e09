using GpuAe.Backends;
using GpuAe.Layers;
using GpuAe.Layers.AvgPool2D;
using GpuAe.Layers.Conv2D;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Layers.Dense;
using GpuAe.Layers.MaxPool2D;
using GpuAe.Layers.Reshape;
using GpuAe.Layers.UpSample2D;
using GpuAe.Layers.VaeLatent;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Analysis;

/// <summary>Floating-point operations of one part of a training step (a layer, the loss, the optimizer): forward
/// and backward (parameter gradients and, where the step needs it, the input gradient).</summary>
internal readonly record struct FlopTerm(string Name, double Forward, double Backward)
{
    public double Total => Forward + Backward;
}

/// <summary>The FLOPs of one training step, term by term.</summary>
internal sealed record StepFlops(IReadOnlyList<FlopTerm> Terms)
{
    public double Forward => Terms.Sum(t => t.Forward);
    public double Backward => Terms.Sum(t => t.Backward);
    public double Total => Forward + Backward;
}

/// <summary>
/// Counts the floating-point work of one training step analytically from the built layers, whatever path a backend
/// takes (im2col + GEMM or direct convolution do the same useful arithmetic; im2col/col2im themselves move data and
/// count 0). Conventions: a multiply-add is 2 FLOPs; convolutions count every kernel tap including those over padding
/// (what a GEMM over im2col columns does); an exp, log or division counts 1 like an add; comparisons (max-pool, ReLU)
/// count 1; random numbers (ε, input noise) count 0. Elementwise costs per value are in <see cref="ActivationForward"/>,
/// <see cref="ActivationBackward"/>, <see cref="LossAndGradient"/> and <see cref="OptimizerUpdate"/>. The GEMM and
/// convolution terms dominate every preset; the elementwise conventions move totals by a few per cent at most.
/// </summary>
internal static class RooflineFlops
{
    /// <summary>The training step of <paramref name="network"/> at <paramref name="batch"/> samples with
    /// <paramref name="optimizer"/> and, when above 0, Gaussian input noise (<paramref name="noise"/>).</summary>
    public static StepFlops TrainingStep(Network network, int batch, OptimizerKind optimizer, float noise = 0f)
    {
        var spec = network.Spec;
        var layers = network.Layers;
        var terms = new List<FlopTerm>();
        long inputValues = (long)batch * network.SampleSize;
        if (noise > 0) terms.Add(new("input_noise", 3.0 * inputValues, 0));   // x + f·n, clamped below and above
        // Network.BuildPlan: backward rules run down to the first layer with parameters, which needs no dL/dx.
        int firstTrainable = Enumerable.Range(0, layers.Count).FirstOrDefault(i => layers[i].Parameters.Count > 0, -1);
        for (int i = 0; i < layers.Count; i++)
        {
            bool backward = firstTrainable >= 0 && i >= firstTrainable, inputGradient = i > firstTrainable;
            var (forward, back) = Layer(layers[i], batch, inputGradient);
            terms.Add(new(layers[i].Name, forward, backward ? back : 0));
        }
        terms.Add(new("loss_and_gradient", LossAndGradient(network.TrainingLoss) * inputValues, 0));
        terms.AddRange(Penalties(network, batch));
        long parameters = network.Parameters.Count;
        if (spec.Reduction == LossReduction.Sum) terms.Add(new("sum_reduction", 0, parameters));
        terms.Add(new("optimizer", 0, OptimizerUpdate(optimizer) * parameters));
        return new StepFlops(terms);
    }

    /// <summary>Forward FLOPs and backward FLOPs (parameter gradients, plus dL/dx when <paramref name="inputGradient"/>).</summary>
    internal static (double Forward, double Backward) Layer(Layer layer, int batch, bool inputGradient)
    {
        long outputs = batch * layer.OutputShape.ElementCount, inputs = batch * layer.InputShape.ElementCount;
        switch (layer)
        {
            case DenseLayer dense:
            {
                double macs = (double)inputs * dense.OutputShape[0];   // B·in·out
                double forward = 2 * macs + outputs + ActivationForward(dense.Activation) * outputs;   // GEMM, bias, activation
                double backward = ActivationBackward(dense.Activation) * outputs + 2 * macs + outputs   // dz, dW, db
                                  + (inputGradient ? 2 * macs : 0);                                       // dx
                return (forward, backward);
            }
            case Conv2DLayer conv:
            {
                var g = conv.Geometry;
                double macs = (double)outputs * g.Channels * g.KernelH * g.KernelW;   // every output takes C·KH·KW taps
                return (2 * macs + outputs + ActivationForward(conv.Activation) * outputs,
                    ActivationBackward(conv.Activation) * outputs + 2 * macs + outputs + (inputGradient ? 2 * macs : 0));
            }
            case Conv2DTransposeLayer transpose:
            {
                var g = transpose.Geometry;
                double macs = (double)inputs * g.Channels * g.KernelH * g.KernelW;   // every input scatters to OC·KH·KW taps
                return (2 * macs + outputs + ActivationForward(transpose.Activation) * outputs,
                    ActivationBackward(transpose.Activation) * outputs + 2 * macs + outputs + (inputGradient ? 2 * macs : 0));
            }
            case MaxPool2DLayer pool:
                // a comparison per window tap; backward adds each routed gradient once (a gather by argmax)
                return ((double)outputs * pool.Geometry.WindowH * pool.Geometry.WindowW, inputGradient ? outputs : 0);
            case AvgPool2DLayer pool:
            {
                double window = pool.Geometry.WindowH * pool.Geometry.WindowW;
                return (outputs * (window + 1), inputGradient ? outputs * (window + 1) : 0);   // sum and scale, both ways
            }
            case UpSample2DLayer upsample:
                // nearest copies forward and sums each block backward; bilinear blends 4 values (4 mul + 3 add) both ways
                return upsample.Mode == UpsampleMode.Bilinear
                    ? (7.0 * outputs, inputGradient ? 7.0 * outputs : 0)
                    : (0, inputGradient ? outputs : 0);
            case ActivationLayer activation:
                return (ActivationForward(activation.Activation) * outputs,
                    inputGradient ? ActivationBackward(activation.Activation) * outputs : 0);
            case ReshapeLayer:
                return (0, 0);
            case VaeLatentLayer latent:
            {
                // two linear dense heads (μ, log σ²); z = μ + exp(½ log σ²)·ε (4 per unit); backward: KL and both
                // heads' gradients (10 per unit), the heads' dense backward, and dx summed over the two heads
                double macs = (double)inputs * latent.Units;
                double forward = 2 * (2 * macs + outputs) + 4.0 * outputs;
                double backward = 10.0 * outputs + 2 * (2 * macs + outputs) + (inputGradient ? 2 * (2 * macs) + inputs : 0);
                return (forward, backward);
            }
            default:
                throw new NotSupportedException($"{layer.Name}: no FLOP count for a {layer.GetType().Name}");
        }
    }

    private static IEnumerable<FlopTerm> Penalties(Network network, int batch)
    {
        var code = network.Layers[network.Spec.CodeLayer];
        double codeValues = batch * code.OutputShape.ElementCount;
        foreach (var penalty in network.Spec.Penalties)
            switch (penalty)
            {
                case ActivityPenaltySpec a:
                    // L1: |h| summed and sign(h)·w added to dh; KL sparsity: the mean per unit, then the KL and its gradient
                    yield return new($"{code.Name}.activity_penalty", 0, (a.Kind == ActivityPenaltyKind.L1 ? 4.0 : 12.0) * codeValues);
                    break;
                case ContractivePenaltySpec:
                    // ||W_j||² per unit (2·in·units, once for the value and once for dW), h'(h)² terms per code value,
                    // and the direct dW term (2·in·units per sample-sum: a GEMM-like B·in·units multiply-add)
                    double weights = (double)code.InputShape.ElementCount * code.OutputShape.ElementCount;
                    yield return new($"{code.Name}.contractive_penalty", 0, 4 * weights + 6.0 * codeValues + 2 * batch * weights);
                    break;
            }
    }

    /// <summary>FLOPs per value of an activation's forward pass.</summary>
    internal static double ActivationForward(Activation activation) => activation switch
    {
        Activation.Linear => 0,
        Activation.Relu => 1,         // max(x, 0)
        Activation.LeakyRelu => 2,    // compare, multiply
        Activation.Elu => 3,          // compare, exp, multiply-subtract
        Activation.Sigmoid => 4,      // negate, exp, add, divide
        Activation.Tanh => 5,         // two exps folded into one, add, subtract, divide
        Activation.Softplus => 4,     // |x|, exp, log1p, max
        _ => throw new NotSupportedException($"no FLOP count for activation {activation}"),
    };

    /// <summary>FLOPs per value of dz = dy·f'(y).</summary>
    internal static double ActivationBackward(Activation activation) => activation switch
    {
        Activation.Linear => 0,
        Activation.Relu => 1,
        Activation.LeakyRelu => 2,
        Activation.Elu => 2,
        Activation.Sigmoid => 3,      // dy·y·(1 - y)
        Activation.Tanh => 3,         // dy·(1 - y²)
        Activation.Softplus => 4,     // dy·(1 - exp(-y))
        _ => throw new NotSupportedException($"no FLOP count for activation {activation}"),
    };

    /// <summary>FLOPs per value of the fused loss + gradient kernel (value, its sum, and the scaled gradient).</summary>
    internal static double LossAndGradient(LossKind loss) => loss switch
    {
        LossKind.SquaredError => 5,                    // d = p - t, d², sum, 2·scale·d
        LossKind.AbsoluteError => 5,                   // d, |d|, sum, scale·sign(d)
        LossKind.BinaryCrossEntropyWithLogits => 12,   // max(z,0) - z·t + log(1 + exp(-|z|)), sum; (σ(z) - t)·scale
        LossKind.BinaryCrossEntropy => 14,             // two clamped logs, the weighted sum; (p - t) / max(p(1-p), ε)·scale
        _ => throw new NotSupportedException($"no FLOP count for loss {loss}"),
    };

    /// <summary>FLOPs per parameter of one optimizer update (PyTorch's update rules, without weight decay).</summary>
    internal static double OptimizerUpdate(OptimizerKind optimizer) => optimizer switch
    {
        OptimizerKind.Sgd => 2,                               // p -= lr·g
        OptimizerKind.Momentum or OptimizerKind.Nesterov => 5,  // buf = m·buf + c·g, p -= lr·buf (Nesterov: g + m·buf)
        OptimizerKind.RmsProp => 8,                           // v = α·v + (1-α)·g², p -= lr·g / (sqrt(v) + ε)
        OptimizerKind.Adam => 12,                             // both moments, sqrt, bias-corrected step
        OptimizerKind.AdamW => 14,                            // Adam plus p·(1 - lr·wd)
        _ => throw new NotSupportedException($"no FLOP count for optimizer {optimizer}"),
    };
}

namespace GpuAe.Backends;

/// <summary>Element type of a device buffer. <see cref="Real"/> is the backend's floating-point type
/// (float32 on GPUs; float32 or float64 on the CPU reference).</summary>
public enum ElementType { Real, Int32 }

/// <summary>Pointwise activations. Every derivative is expressible through the activation's output,
/// so backward kernels take y, not x, and a GEMM epilogue never has to keep the pre-activation.</summary>
public enum Activation { Linear, Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softplus }

/// <summary>Which GEMM operand is transposed.</summary>
public enum Transpose { No, Yes }

/// <summary>How a bias vector broadcasts over a row-major [rows, cols] matrix.</summary>
public enum BiasMode { None, PerColumn, PerRow }

/// <summary>Elementwise losses, each fused with its gradient in one kernel.</summary>
public enum LossKind
{
    /// <summary>(p - t)^2</summary>
    SquaredError,
    /// <summary>|p - t|</summary>
    AbsoluteError,
    /// <summary>Binary cross-entropy on logits z: max(z,0) - z*t + log(1 + exp(-|z|)) (stable).</summary>
    BinaryCrossEntropyWithLogits,
    /// <summary>Binary cross-entropy on probabilities p as PyTorch's BCELoss: -(t·max(log p, -100) + (1-t)·max(log(1-p), -100));
    /// gradient (p - t) / max(p(1-p), 1e-12).</summary>
    BinaryCrossEntropy,
}

/// <summary>Parameter update rules; one launch updates the whole flat parameter buffer. <see cref="Momentum"/> and
/// <see cref="Nesterov"/> are PyTorch's SGD with momentum (and nesterov=True); <see cref="Sgd"/> ignores the momentum.</summary>
public enum OptimizerKind { Sgd, Momentum, Nesterov, RmsProp, Adam, AdamW }

/// <summary>
/// Hyper-parameters of one optimizer step, with PyTorch's update rules (torch.optim SGD, RMSprop, Adam, AdamW):
/// weight decay is L2 added to the gradient except for AdamW (decoupled: p *= 1 - lr·wd). <see cref="Step"/> is
/// 1-based (Adam's bias correction; SGD's first momentum buffer is the gradient itself, whatever the dampening).
/// Everything is in double; <see cref="Scalars"/> forms what a kernel needs in double and rounds each value once.
/// </summary>
/// <param name="Rho">RMSprop's smoothing constant (PyTorch's alpha, Keras' rho).</param>
/// <param name="Momentum">SGD momentum (Momentum and Nesterov kinds) and RMSprop momentum (0: none).</param>
/// <param name="Dampening">SGD momentum dampening (PyTorch's; 0 for Nesterov).</param>
/// <param name="Centered">RMSprop: normalise by the variance estimate (needs a third state buffer).</param>
public readonly record struct OptimizerStep(
    OptimizerKind Kind,
    double LearningRate,
    int Step,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-7,
    double Momentum = 0,
    double Rho = 0.9,
    double WeightDecay = 0,
    double Dampening = 0,
    bool Centered = false)
{
    /// <summary>Whether the rule keeps state buffer 1 (momentum buffer, square average or first moment), 2 (Adam's second
    /// moment, RMSprop's momentum buffer) and 3 (centred RMSprop's gradient average).</summary>
    public bool UsesState1 => Kind != OptimizerKind.Sgd;
    public bool UsesState2 => Kind is OptimizerKind.Adam or OptimizerKind.AdamW || (Kind == OptimizerKind.RmsProp && Momentum != 0);
    public bool UsesState3 => Kind == OptimizerKind.RmsProp && Centered;

    /// <summary>The kernel's scalar arguments, formed in double from the hyper-parameters (as PyTorch forms its
    /// Python-float scalars); a float kernel rounds each once, so every backend gets the same values.</summary>
    public OptimizerScalars Scalars()
    {
        double t = Step;
        return Kind switch
        {
            OptimizerKind.Sgd => new(0, 0, 0, 0, 0, WeightDecay, LearningRate, 1, 1),
            OptimizerKind.Momentum or OptimizerKind.Nesterov =>
                // torch: buf = clone(g) on the first step, then buf = momentum·buf + (1 - dampening)·g
                new(Momentum, 0, 0, 0, 0, WeightDecay, LearningRate, Step <= 1 ? 1 : 1 - Dampening, 1),
            OptimizerKind.RmsProp => new(Rho, 1 - Rho, Momentum, 0, Epsilon, WeightDecay, LearningRate, 1, 1),
            _ => new(Beta1, 1 - Beta1, Beta2, 1 - Beta2, Epsilon, Kind == OptimizerKind.AdamW ? 0 : WeightDecay,
                // step size lr / (1 - beta1^t) and sqrt(1 - beta2^t) as torch.optim forms them; t < 1 only in packing tests
                LearningRate / (t >= 1 ? 1 - Math.Pow(Beta1, t) : 1),
                t >= 1 ? Math.Sqrt(1 - Math.Pow(Beta2, t)) : 1,
                Kind == OptimizerKind.AdamW ? 1 - LearningRate * WeightDecay : 1),
        };
    }

    /// <summary>Kernel flags: bit 0 centred RMSprop.</summary>
    public int Flags => UsesState3 ? 1 : 0;
}

/// <summary>
/// The scalar arguments of optimizer_update, in double (a float kernel receives each rounded once). Fixed for a run: <see cref="C1"/>/<see cref="C1Complement"/> (SGD momentum;
/// RMSprop alpha and 1 - alpha; Adam beta1 and 1 - beta1), <see cref="C2"/>/<see cref="C2Complement"/> (RMSprop momentum;
/// Adam beta2 and 1 - beta2), <see cref="Epsilon"/> and <see cref="L2"/> (weight decay added to the gradient; 0 for
/// AdamW). Per step: <see cref="StepSize"/> (lr; Adam lr / (1 - beta1^t)), <see cref="Aux"/> (SGD: the gradient's
/// weight in the momentum buffer, 1 at step 1; Adam: sqrt(1 - beta2^t)) and <see cref="Decay"/> (AdamW: 1 - lr·wd).
/// </summary>
public readonly record struct OptimizerScalars(
    double C1, double C1Complement, double C2, double C2Complement, double Epsilon, double L2,
    double StepSize, double Aux, double Decay);

/// <summary>Shape of a 2-D convolution (per image, NCHW): input C x H x W, kernel KH x KW.</summary>
public readonly record struct ConvGeometry(
    int Channels, int Height, int Width,
    int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1)
{
    public int OutHeight => (Height + PadTop + PadBottom - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth => (Width + PadLeft + PadRight - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    /// <summary>Rows of the im2col matrix: C*KH*KW.</summary>
    public int PatchSize => Channels * KernelH * KernelW;
}

/// <summary>
/// Shape of a 2-D pooling window over planes of H x W (one plane per image and channel). Window (oy, ox) covers
/// rows [oy*StrideH - PadTop, oy*StrideH - PadTop + WindowH) and the same for columns; positions outside the input
/// are skipped (max-pool: PyTorch's -inf padding). <see cref="CeilMode"/> rounds the output size up as PyTorch's
/// ceil_mode does: the extra window may hang over the bottom/right padding but must start inside the input or the
/// top/left padding. <see cref="CountPadding"/> (average pooling only) is PyTorch's count_include_pad: the divisor
/// counts the window's positions inside the padded extent [-PadTop, Height + PadBottom) x [-PadLeft, Width + PadRight),
/// otherwise only those inside the input (Keras/TensorFlow "same"); a window over padding alone averages to 0.
/// </summary>
public readonly record struct PoolGeometry(
    int Height, int Width,
    int WindowH, int WindowW,
    int StrideH, int StrideW,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    bool CeilMode = false, bool CountPadding = true)
{
    public int OutHeight => OutLength(Height, WindowH, StrideH, PadTop, PadBottom, CeilMode);
    public int OutWidth => OutLength(Width, WindowW, StrideW, PadLeft, PadRight, CeilMode);

    /// <summary>floor((input + before + after - window) / stride) + 1, or with ceil instead of floor minus the last window
    /// when it would start past the input and its top/left padding (PyTorch's pooling_output_shape). Floor division, so
    /// a window longer than the padded input gives 0 outputs (not 1, as truncation would).</summary>
    private static int OutLength(int input, int window, int stride, int before, int after, bool ceil)
    {
        if (stride <= 0) return 0;
        int span = input + before + after - window + (ceil ? stride - 1 : 0);
        int count = (int)Math.Floor((double)span / stride) + 1;
        if (ceil && count > 0 && (long)(count - 1) * stride >= (long)input + before) count--;
        return count;
    }

    /// <summary>Average pooling's divisor for output (oy, ox): see <see cref="CountPadding"/>; 0 for a window over padding alone.</summary>
    public int AverageDivisor(int oy, int ox) =>
        CountedLength(oy * StrideH - PadTop, WindowH, Height, PadBottom) * CountedLength(ox * StrideW - PadLeft, WindowW, Width, PadRight);

    private int CountedLength(int start, int window, int input, int after)
    {
        int end = Math.Min(start + window, input + after);
        if (CountPadding) return Math.Max(end - start, 0);
        return Math.Max(Math.Min(end, input) - Math.Max(start, 0), 0);
    }
}

/// <summary>Source coordinates of bilinear resampling, shared by every backend so they agree to the last bit.</summary>
public static class Bilinear
{
    /// <summary>The scale from output to input coordinates along one axis, in float as PyTorch computes it:
    /// (input - 1) / (output - 1) with align_corners (0 for one output), else input / output (equal to 1/scale for an
    /// integer scale factor).</summary>
    public static float Ratio(int input, int output, bool alignCorners) =>
        alignCorners ? (output > 1 ? (float)(input - 1) / (output - 1) : 0f) : (float)input / output;
}

/// <summary>The fixed parameters of the fused activations (PyTorch's defaults), identical on every backend; kernels/common/portable.h
/// has the same values.</summary>
public static class ActivationConstants
{
    /// <summary>Negative slope of LeakyReLU (PyTorch's default).</summary>
    public const float LeakyReluSlope = 0.01f;

    /// <summary>ELU's alpha (PyTorch's default).</summary>
    public const float EluAlpha = 1f;

    /// <summary>Softplus' beta (PyTorch's default).</summary>
    public const float SoftplusBeta = 1f;

    /// <summary>Softplus is x itself where beta·x exceeds this (PyTorch's default).</summary>
    public const float SoftplusThreshold = 20f;
}

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
}

/// <summary>Parameter update rules; one launch updates the whole flat parameter buffer.</summary>
public enum OptimizerKind { Sgd, Momentum, Nesterov, RmsProp, Adam, AdamW }

/// <summary>Hyper-parameters of one optimizer step. <see cref="Step"/> is 1-based (Adam's bias correction).</summary>
public readonly record struct OptimizerStep(
    OptimizerKind Kind,
    float LearningRate,
    int Step,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-7f,
    float Momentum = 0.9f,
    float Rho = 0.9f,
    float WeightDecay = 0f)
{
    /// <summary>Adam's 1 - beta1^t and sqrt(1 - beta2^t), computed in double from the float betas and rounded once,
    /// as every GPU backend passes them to its kernel; (1, 1) for the other rules (and t &lt; 1).</summary>
    public (float Bc1, float Bc2Sqrt) BiasCorrections()
    {
        bool adam = Kind is OptimizerKind.Adam or OptimizerKind.AdamW;
        return adam && Step >= 1
            ? ((float)(1 - Math.Pow(Beta1, Step)), (float)Math.Sqrt(1 - Math.Pow(Beta2, Step)))
            : (1f, 1f);
    }
}

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

/// <summary>Fixed constants of the parameter-free activations, identical on every backend.</summary>
public static class ActivationConstants
{
    /// <summary>Negative slope of LeakyReLU (PyTorch's default).</summary>
    public const float LeakyReluSlope = 0.01f;
}

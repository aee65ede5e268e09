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

/// <summary>Shape of a 2-D pooling window over planes of H x W (one plane per image and channel).</summary>
public readonly record struct PoolGeometry(
    int Height, int Width,
    int WindowH, int WindowW,
    int StrideH, int StrideW,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0)
{
    public int OutHeight => (Height + PadTop + PadBottom - WindowH) / StrideH + 1;
    public int OutWidth => (Width + PadLeft + PadRight - WindowW) / StrideW + 1;
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

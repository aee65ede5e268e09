using GpuAe.Backends;

namespace GpuAe.Models;

/// <summary>A named model with its training recipe and, where one exists, the published number to compare with.
/// <see cref="Model"/> is built for MNIST's 1x28x28; <see cref="For"/> builds it for other inputs.</summary>
public sealed record Preset(string Name, string Description, ModelSpec Model, TrainingRecipe Recipe, string? Reference = null)
{
    /// <summary>Builds the model for per-sample <c>inputShape</c> ([D] or [C, H, W]); null for a fixed model.</summary>
    internal Func<int[], ModelSpec>? Sized { get; init; }

    /// <summary>This preset with its model built for per-sample inputs of <paramref name="inputShape"/> ([D] for a table,
    /// [C, H, W] for images): dense presets take any input, conv presets any C x H x W their pooling arithmetic allows.</summary>
    /// <exception cref="ModelSpecException">The preset cannot take that shape; the message says which shapes it takes.</exception>
    public Preset For(int[] inputShape) =>
        inputShape.SequenceEqual(Model.InputShape) ? this
        : Sized is { } build ? this with { Model = build(inputShape) }
        : throw new ModelSpecException($"{Name} is built for [{string.Join(", ", Model.InputShape)}] only, got [{string.Join(", ", inputShape)}]");
}

/// <summary>The built-in autoencoders (`gpuae train --model NAME`).</summary>
public static class Presets
{
    private static readonly int[] Mnist = [1, 28, 28];

    public static IReadOnlyList<Preset> All { get; } = Sizable(
    [
        new("dense32", "784-32-784, relu/sigmoid, BCE, Adam, batch 256 (Keras blog)",
            Mirrored("dense32", [32], Activation.Relu, Activation.Relu, ReconstructionLoss.BinaryCrossEntropy),
            new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 256, 50), "Keras blog: val BCE ~0.09-0.10 after 50 epochs"),
        new("deep", "784-128-64-32-64-128-784, relu/sigmoid, BCE, Adam, batch 256 (Keras blog)",
            Mirrored("deep", [128, 64, 32], Activation.Relu, Activation.Relu, ReconstructionLoss.BinaryCrossEntropy),
            new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 256, 100), "Keras blog: val BCE ~0.08 after 100 epochs"),
        new("mlp256", "784-256-32-256-784, relu/sigmoid, MSE, Adam, batch 64",
            Mirrored("mlp256", [256, 32], Activation.Relu, Activation.Relu, ReconstructionLoss.MeanSquaredError),
            new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 64, 20)),
        new("deep3", "784-256-128-64-12-3 mirrored, linear 3-D code, BCE, Adam, batch 256",
            Mirrored("deep3", [256, 128, 64, 12, 3], Activation.Relu, Activation.Linear, ReconstructionLoss.BinaryCrossEntropy),
            new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 256, 30)),
        new("deep-rmsprop", "784-512-256-128-64-32 mirrored, relu/sigmoid, MSE, RMSprop, batch 256",
            Mirrored("deep-rmsprop", [512, 256, 128, 64, 32], Activation.Relu, Activation.Relu, ReconstructionLoss.MeanSquaredError),
            new TrainingRecipe(OptimizerKind.RmsProp, 1e-3f, 256, 30)),
        new("conv", "Keras-blog conv AE: 16-8-8 3x3 same, 2x2 max-pool, nearest upsample, one valid conv, sigmoid, BCE, batch 128",
            KerasConv(Mnist), new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 128, 50), "Keras blog: val BCE ~0.094 after 50 epochs"),
        new("conv-dense", "conv encoder 16-8 -> dense 32 code -> dense + upsample + conv decoder, BCE, batch 128",
            ConvDense(Mnist), new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 128, 30)),
        new("denoise", "Keras-blog denoiser: 32-32 3x3 conv + max-pool, 32-32 conv + upsample, sigmoid, BCE; inputs + 0.5 N(0,1) clipped to [0,1]",
            KerasDenoiser(Mnist), new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 128, 100, Noise: 0.5f),
            "Keras blog: trained 100 epochs on noise factor 0.5 (reconstructions shown, no loss quoted)"),
        new("sparse", "dense32 + L1 activity penalty 1e-4 on the code (Keras activity_regularizer), Adam, batch 256 (Keras blog)",
            Mirrored("sparse", [32], Activation.Relu, Activation.Relu, ReconstructionLoss.BinaryCrossEntropy) with
            {
                Penalties = [new ActivityPenaltySpec(ActivityPenaltyKind.L1, 1e-4f)],
            },
            new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 256, 100),
            "Keras blog: train 0.11 / test 0.10 after 100 epochs (train includes the penalty), mean code activation 3.33 (7.3 without)"),
        // lambda 5e-4 on the per-pixel-mean BCE is 0.39 in per-image-sum units (the scale of Rifai et al.'s lambdas);
        // at Glorot init the penalty is a few per cent of the loss, so it contracts without starving the reconstruction
        new("contractive", "784-64 sigmoid-784 sigmoid, BCE + contractive penalty 5e-4 * ||dh/dx||_F^2, Adam, batch 256",
            Mirrored("contractive", [64], Activation.Sigmoid, Activation.Sigmoid, ReconstructionLoss.BinaryCrossEntropy) with
            {
                Penalties = [new ContractivePenaltySpec(5e-4f)],
            },
            new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 256, 50)),
        new("vae", "VAE 784-400-20-400-784 (PyTorch examples): relu, Gaussian latent 20, sigmoid; BCE sum + KL per image, Adam, batch 128",
            Variational("vae", 400, 20), new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 128, 10), "PyTorch examples: test loss ~105.6 per image after 10 epochs"),
        new("vae2d", "VAE 784-400-2-400-784, a 2-D Gaussian latent (latent_grid.png); BCE sum + KL per image, Adam, batch 128",
            Variational("vae2d", 400, 2), new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 128, 10)),
        new("conv-transpose", "TensorFlow 'Intro to Autoencoders' denoiser: conv 16-8 3x3 stride 2, transposed conv 8-16 3x3 stride 2, conv 1 sigmoid, MSE, Adam, batch 32 (Keras' default); the tutorial's noisy inputs: --noise 0.2",
            ConvTranspose(Mnist), new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 32, 10)),
    ]);

    /// <summary>Attaches to each preset the builder that sizes it to other inputs.</summary>
    private static Preset[] Sizable(Preset[] presets) => presets.Select(p => p with
    {
        Sized = p.Name switch
        {
            "conv" => shape => KerasConv(Image(p.Name, shape, multipleOf: 0, kerasConv: true)),
            "conv-dense" => shape => ConvDense(Image(p.Name, shape, multipleOf: 4)),
            "denoise" => shape => KerasDenoiser(Image(p.Name, shape, multipleOf: 4)),
            "conv-transpose" => shape => ConvTranspose(Image(p.Name, shape, multipleOf: 4)),
            _ => shape => Resize(p.Model, shape),
        },
    }).ToArray();

    /// <summary>A dense preset rebuilt for <paramref name="shape"/>: same layers, input and output width the sample size.</summary>
    private static ModelSpec Resize(ModelSpec mnist, int[] shape)
    {
        int size = shape.Aggregate(1, (a, b) => checked(a * b));
        var layers = mnist.Layers.Select(l => l switch
        {
            DenseSpec { Units: 784 } d => d with { Units = size },
            ReshapeSpec r when r.Shape.SequenceEqual(Mnist) => new ReshapeSpec(shape),
            _ => l,
        }).ToArray();
        return mnist with { InputShape = shape, Layers = layers };
    }

    /// <summary>Checks an image shape for a conv preset: [C, H, W] with H and W that its pools and upsamples bring back
    /// (multiples of <paramref name="multipleOf"/>, or for the Keras conv model 8k - 4).</summary>
    private static int[] Image(string name, int[] shape, int multipleOf, bool kerasConv = false)
    {
        if (shape.Length != 3)
            throw new ModelSpecException($"{name} is a convolutional model for images [C, H, W]; got samples of shape [{string.Join(", ", shape)}] (use a dense preset for tables)");
        int h = shape[1], w = shape[2];
        if (kerasConv ? (h + 4) % 8 != 0 || (w + 4) % 8 != 0 : h % multipleOf != 0 || w % multipleOf != 0)
            throw new ModelSpecException(kerasConv
                ? $"{name} needs H and W of the form 8k-4 (12, 20, 28, 36, ...), its three 2x2 pools and one valid conv give them back; got {h}x{w}"
                : $"{name} needs H and W divisible by {multipleOf}, got {h}x{w}");
        return shape;
    }

    public static IEnumerable<string> Names => All.Select(p => p.Name);

    /// <summary>The preset <paramref name="name"/> built for per-sample inputs of <paramref name="inputShape"/>.</summary>
    public static Preset Get(string name, int[] inputShape) => Get(name).For(inputShape);

    public static Preset Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ModelSpecException($"unknown model '{name}'; presets: {string.Join(", ", Names)}");

    /// <summary>A dense encoder through <paramref name="widths"/> (the last is the code) and the mirrored
    /// decoder back to 784 sigmoid outputs.</summary>
    public static ModelSpec Mirrored(string name, int[] widths, Activation hidden, Activation code, ReconstructionLoss loss)
    {
        var b = new ModelBuilder(name, Mnist).Flatten();
        for (int i = 0; i < widths.Length; i++) b.Dense(widths[i], i == widths.Length - 1 ? code : hidden);
        b.Code();
        for (int i = widths.Length - 2; i >= 0; i--) b.Dense(widths[i], hidden);
        return b.Dense(784, Activation.Sigmoid).Reshape(Mnist).Build(loss);
    }

    /// <summary>The PyTorch examples VAE: dense <paramref name="hidden"/> relu, a Gaussian latent, dense
    /// <paramref name="hidden"/> relu, 784 sigmoid; BCE summed per image plus beta·KL.</summary>
    public static ModelSpec Variational(string name, int hidden, int latent, float beta = 1f) => new ModelBuilder(name, Mnist)
        .Flatten().Dense(hidden, Activation.Relu)
        .VaeLatent(latent, beta).Code()
        .Dense(hidden, Activation.Relu).Dense(784, Activation.Sigmoid).Reshape(Mnist)
        .Build(ReconstructionLoss.BinaryCrossEntropy);

    private static ModelSpec KerasConv(int[] shape) => new ModelBuilder("conv", shape)
        .Conv2D(16, 3, Activation.Relu).MaxPool2D()
        .Conv2D(8, 3, Activation.Relu).MaxPool2D()
        .Conv2D(8, 3, Activation.Relu).MaxPool2D().Code()          // 8 x 4 x 4 = 128 values
        .Conv2D(8, 3, Activation.Relu).UpSample2D()
        .Conv2D(8, 3, Activation.Relu).UpSample2D()
        .Conv2D(16, 3, Activation.Relu, Layers.Padding.Valid).UpSample2D()
        .Conv2D(shape[0], 3, Activation.Sigmoid)
        .Build(ReconstructionLoss.BinaryCrossEntropy);

    private static ModelSpec KerasDenoiser(int[] shape) => new ModelBuilder("denoise", shape)
        .Conv2D(32, 3, Activation.Relu).MaxPool2D()                 // 32 x 14 x 14
        .Conv2D(32, 3, Activation.Relu).MaxPool2D().Code()          // 32 x 7 x 7
        .Conv2D(32, 3, Activation.Relu).UpSample2D()
        .Conv2D(32, 3, Activation.Relu).UpSample2D()
        .Conv2D(shape[0], 3, Activation.Sigmoid)
        .Build(ReconstructionLoss.BinaryCrossEntropy);

    private static ModelSpec ConvTranspose(int[] shape) => new ModelBuilder("conv-transpose", shape)
        .Conv2D(16, 3, Activation.Relu, stride: 2)                  // 16 x 14 x 14
        .Conv2D(8, 3, Activation.Relu, stride: 2).Code()            // 8 x 7 x 7
        .Conv2DTranspose(8, 3, Activation.Relu, stride: 2)          // 8 x 14 x 14
        .Conv2DTranspose(16, 3, Activation.Relu, stride: 2)         // 16 x 28 x 28
        .Conv2D(shape[0], 3, Activation.Sigmoid)         // 1 x 28 x 28
        .Build(ReconstructionLoss.MeanSquaredError);

    private static ModelSpec ConvDense(int[] shape) => new ModelBuilder("conv-dense", shape)
        .Conv2D(16, 3, Activation.Relu).MaxPool2D()                 // 16 x 14 x 14
        .Conv2D(8, 3, Activation.Relu).MaxPool2D()                  // 8 x 7 x 7
        .Flatten().Dense(32, Activation.Relu).Code()
        .Dense(8 * (shape[1] / 4) * (shape[2] / 4), Activation.Relu).Reshape(8, shape[1] / 4, shape[2] / 4)   // 8 x 7 x 7
        .UpSample2D().Conv2D(16, 3, Activation.Relu)                // 16 x 14 x 14
        .UpSample2D().Conv2D(shape[0], 3, Activation.Sigmoid) // 1 x 28 x 28
        .Build(ReconstructionLoss.BinaryCrossEntropy);
}

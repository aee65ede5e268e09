using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using GpuAe.Backends;
using GpuAe.Layers;

namespace GpuAe.Models;

/// <summary>One layer of a sequential autoencoder description (serialised into checkpoints as JSON).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(DenseSpec), "dense")]
[JsonDerivedType(typeof(Conv2DSpec), "conv2d")]
[JsonDerivedType(typeof(Conv2DTransposeSpec), "conv2d_transpose")]
[JsonDerivedType(typeof(MaxPool2DSpec), "maxpool2d")]
[JsonDerivedType(typeof(UpSample2DSpec), "upsample2d")]
[JsonDerivedType(typeof(FlattenSpec), "flatten")]
[JsonDerivedType(typeof(ReshapeSpec), "reshape")]
[JsonDerivedType(typeof(VaeLatentSpec), "vae_latent")]
public abstract record LayerSpec;

/// <summary>Fully connected layer: units outputs, weight [units, inputs].</summary>
public sealed record DenseSpec(int Units, Activation Activation = Activation.Linear) : LayerSpec;

/// <summary>Square-kernel 2-D convolution.</summary>
public sealed record Conv2DSpec(int Filters, int Kernel, Activation Activation = Activation.Linear, Padding Padding = Padding.Same, int Stride = 1) : LayerSpec;

/// <summary>Square-kernel 2-D transposed convolution (Keras' Conv2DTranspose): "same" multiplies the size by the
/// stride, "valid" gives size * stride + max(kernel - stride, 0). Weight [in, filters, K, K] as PyTorch's ConvTranspose2d.</summary>
public sealed record Conv2DTransposeSpec(int Filters, int Kernel, Activation Activation = Activation.Linear, Padding Padding = Padding.Same, int Stride = 1) : LayerSpec;

/// <summary>Square max-pool; stride defaults to the window size.</summary>
public sealed record MaxPool2DSpec(int Size = 2, Padding Padding = Padding.Same, int? Stride = null) : LayerSpec;

/// <summary>Nearest-neighbour upsampling by an integer factor.</summary>
public sealed record UpSample2DSpec(int Scale = 2) : LayerSpec;

/// <summary>[C, H, W] -> [C*H*W].</summary>
public sealed record FlattenSpec : LayerSpec;

/// <summary>Reinterprets the per-sample shape (same number of values).</summary>
public sealed record ReshapeSpec(int[] Shape) : LayerSpec;

/// <summary>
/// The Gaussian latent of a variational autoencoder: mean and log-variance heads (linear, <paramref name="Units"/>
/// each) and z = mean + exp(logvar/2)·ε. Adds beta·KL(N(mean, var) ‖ N(0, 1)) to the loss, and makes the
/// model's losses sums per image (see <see cref="ModelSpec.LossPerImage"/>). Must be the code layer.
/// </summary>
public sealed record VaeLatentSpec(int Units, float Beta = 1f) : LayerSpec;

/// <summary>Reconstruction loss, reported as the mean per pixel (Keras' convention).</summary>
public enum ReconstructionLoss
{
    /// <summary>Binary cross-entropy; the output layer must be sigmoid, which is fused into a stable BCE-on-logits.</summary>
    BinaryCrossEntropy,
    MeanSquaredError,
    MeanAbsoluteError,
}

/// <summary>
/// A sequential autoencoder: per-sample input shape [C, H, W], the layers, the reconstruction loss and
/// which layer's output is the code (the latent representation).
/// </summary>
public sealed record ModelSpec(string Name, int[] InputShape, IReadOnlyList<LayerSpec> Layers, ReconstructionLoss Loss, int CodeLayer)
{
    /// <summary>Penalties on the code (sparse, contractive autoencoders); none by default. In JSON only when present,
    /// so the specs of unpenalised models read and write as before.</summary>
    [JsonIgnore]
    public IReadOnlyList<PenaltySpec> Penalties { get; init; } = [];

    [JsonInclude, JsonPropertyName("penalties"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal PenaltySpec[]? PenaltiesJson
    {
        get => Penalties.Count == 0 ? null : Penalties.ToArray();
        init => Penalties = value ?? [];
    }

    public string ToJson() => JsonSerializer.Serialize(this, SpecJsonContext.Default.ModelSpec);

    /// <summary>True for a VAE (a <see cref="VaeLatentSpec"/> layer): its losses are sums over the pixels plus
    /// beta·KL, averaged per image (the PyTorch examples' convention); other models report means per pixel.</summary>
    [JsonIgnore]
    public bool LossPerImage => Layers.Any(l => l is VaeLatentSpec);

    /// <summary>Parses <see cref="ToJson"/>'s output. Every field without a default must be there and not null; whether
    /// the layers fit together is checked when a network is built from the spec.</summary>
    /// <exception cref="ModelSpecException">The JSON is malformed or incomplete (the only exception any text may cause).</exception>
    public static ModelSpec FromJson(string json)
    {
        var spec = SpecJson.Parse(json, SpecJsonContext.Default.ModelSpec, "model spec");
        // Element nullability is not enforced by the serializer: "layers": [null] arrives as a null layer.
        int missing = spec.Layers.ToList().FindIndex(l => l is null);
        if (missing >= 0)
            throw new ModelSpecException($"model spec JSON is malformed: layers[{missing}] is null, expected a layer object");
        missing = spec.Penalties.ToList().FindIndex(p => p is null);
        if (missing >= 0)
            throw new ModelSpecException($"model spec JSON is malformed: penalties[{missing}] is null, expected a penalty object");
        return spec;
    }

    /// <summary>A one-line human summary, e.g. "784-32-784 dense, relu/sigmoid, BCE".</summary>
    public override string ToString() =>
        $"{Name}: {string.Join(" > ", Layers.Select(Describe))}, {Loss}{string.Concat(Penalties.Select(p => $" + {p} on the code"))}";

    private static string Describe(LayerSpec layer) => layer switch
    {
        DenseSpec d => $"dense {d.Units} {d.Activation.ToString().ToLowerInvariant()}",
        Conv2DSpec c => DescribeConv("conv", c.Filters, c.Kernel, c.Stride, c.Padding, c.Activation),
        Conv2DTransposeSpec t => DescribeConv("convT", t.Filters, t.Kernel, t.Stride, t.Padding, t.Activation),
        MaxPool2DSpec p => $"maxpool {p.Size}",
        UpSample2DSpec u => $"upsample {u.Scale}",
        FlattenSpec => "flatten",
        ReshapeSpec r => $"reshape [{string.Join(",", r.Shape)}]",
        VaeLatentSpec v => $"vae latent {v.Units}{(v.Beta != 1f ? $" beta {v.Beta:g}" : "")}",
        _ => layer.GetType().Name,
    };

    private static string DescribeConv(string kind, int filters, int kernel, int stride, Padding padding, Activation activation) =>
        $"{kind} {filters}x{kernel}x{kernel}{(stride > 1 ? $"/{stride}" : "")} {padding.ToString().ToLowerInvariant()} {activation.ToString().ToLowerInvariant()}";
}

/// <summary>How a model is trained: optimizer, learning rate, batch size and epochs; <see cref="Noise"/> &gt; 0 trains
/// a denoising autoencoder (inputs clamp(x + Noise * N(0,1), 0, 1), target the clean x).</summary>
public sealed record TrainingRecipe(OptimizerKind Optimizer, float LearningRate, int BatchSize, int Epochs, float WeightDecay = 0f, float Noise = 0f)
{
    public string ToJson() => JsonSerializer.Serialize(this, SpecJsonContext.Default.TrainingRecipe);
    /// <exception cref="ModelSpecException">The JSON is malformed or incomplete.</exception>
    public static TrainingRecipe FromJson(string json) => SpecJson.Parse(json, SpecJsonContext.Default.TrainingRecipe, "training recipe");
}

/// <summary>The JSON dialect of specs and recipes: snake_case names and enum values, compact. Source-generated
/// (no reflection), so the library stays trim- and NativeAOT-clean.</summary>
// Reading is stricter than writing would need: a missing constructor argument or a null where the type allows none is
// an error rather than a default or a null that fails later.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    Converters = [typeof(SnakeCaseEnum<Activation>), typeof(SnakeCaseEnum<Padding>), typeof(SnakeCaseEnum<ReconstructionLoss>),
                  typeof(SnakeCaseEnum<OptimizerKind>), typeof(SnakeCaseEnum<ActivityPenaltyKind>)])]
[JsonSerializable(typeof(ModelSpec))]
[JsonSerializable(typeof(TrainingRecipe))]
internal sealed partial class SpecJsonContext : JsonSerializerContext;

/// <summary>Enum values as snake_case strings ("leaky_relu", "binary_cross_entropy"), without reflection.</summary>
internal sealed class SnakeCaseEnum<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower)
    where TEnum : struct, Enum;

internal static class SpecJson
{
    public static T Parse<T>(string json, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new ModelSpecException($"{what} JSON is empty");
        }
        catch (JsonException e)
        {
            throw new ModelSpecException($"{what} JSON is malformed: {Describe(e)}");
        }
        catch (NotSupportedException e)
        {
            // The serializer's way of saying a layer or penalty object has no "type" (it cannot make an abstract record).
            string where = e.Message.IndexOf("Path: ", StringComparison.Ordinal) is int at and >= 0 ? $" ({e.Message[at..].TrimEnd('.')})" : "";
            throw new ModelSpecException($"{what} JSON is malformed: a layer or penalty has no \"type\" field{where}");
        }
    }

    /// <summary>The serializer's message without the .NET type names two of its messages carry ("could not be converted to
    /// GpuAe.Models.DenseSpec", "for type 'GpuAe.Models.ModelSpec' was missing required properties"): the key and JSON path.</summary>
    private static string Describe(JsonException e)
    {
        string at = e.Path is { Length: > 1 } path ? $" at {path}" : "";
        const string Missing = "missing required properties including: ";
        if (e.Message.IndexOf(Missing, StringComparison.Ordinal) is int start and >= 0)
            return $"missing key {e.Message[(start + Missing.Length)..].TrimEnd('.')}{at}";
        if (e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
            return $"the value{at} has the wrong type or is out of range";
        return e.Message;
    }
}

/// <summary>Fluent construction of a <see cref="ModelSpec"/>: layers in order, then <see cref="Code"/> after
/// the layer whose output is the latent code.</summary>
public sealed class ModelBuilder
{
    private readonly string _name;
    private readonly int[] _inputShape;
    private readonly List<LayerSpec> _layers = [];
    private int _codeLayer = -1;
    private readonly List<PenaltySpec> _penalties = [];

    public ModelBuilder(string name, params int[] inputShape)
    {
        _name = name;
        _inputShape = inputShape;
    }

    public ModelBuilder Add(LayerSpec layer) { _layers.Add(layer); return this; }
    public ModelBuilder Dense(int units, Activation activation) => Add(new DenseSpec(units, activation));
    public ModelBuilder Conv2D(int filters, int kernel, Activation activation, Padding padding = Padding.Same, int stride = 1) =>
        Add(new Conv2DSpec(filters, kernel, activation, padding, stride));
    public ModelBuilder Conv2DTranspose(int filters, int kernel, Activation activation, Padding padding = Padding.Same, int stride = 1) =>
        Add(new Conv2DTransposeSpec(filters, kernel, activation, padding, stride));
    public ModelBuilder MaxPool2D(int size = 2, Padding padding = Padding.Same) => Add(new MaxPool2DSpec(size, padding));
    public ModelBuilder UpSample2D(int scale = 2) => Add(new UpSample2DSpec(scale));
    public ModelBuilder Flatten() => Add(new FlattenSpec());
    public ModelBuilder Reshape(params int[] shape) => Add(new ReshapeSpec(shape));
    /// <summary>A VAE's Gaussian latent of <paramref name="units"/> with KL weight <paramref name="beta"/>; follow it with <see cref="Code"/>.</summary>
    public ModelBuilder VaeLatent(int units, float beta = 1f) => Add(new VaeLatentSpec(units, beta));

    /// <summary>Marks the most recently added layer's output as the code.</summary>
    public ModelBuilder Code()
    {
        if (_layers.Count == 0) throw new ModelSpecException($"{_name}: Code() must follow the layer that produces the code");
        _codeLayer = _layers.Count - 1;
        return this;
    }

    /// <summary>Adds a penalty on the code (checked now for its numbers, against the layers when the model is built).</summary>
    public ModelBuilder Penalty(PenaltySpec penalty)
    {
        penalty.Validate(_name);
        _penalties.Add(penalty);
        return this;
    }

    /// <summary>Keras' <c>activity_regularizer=l1(weight)</c> on the code: weight · Σ|h| per sample.</summary>
    public ModelBuilder L1Activity(float weight) => Penalty(new ActivityPenaltySpec(ActivityPenaltyKind.L1, weight));

    /// <summary>KL sparsity on a sigmoid code: beta · Σ_j KL(rho ‖ mean activation of unit j).</summary>
    public ModelBuilder KlSparsity(float rho, float beta) => Penalty(new ActivityPenaltySpec(ActivityPenaltyKind.KlSparsity, beta, rho));

    /// <summary>Contractive penalty lambda · ‖∂code/∂x‖²_F (dense sigmoid or relu code layer).</summary>
    public ModelBuilder Contractive(float lambda) => Penalty(new ContractivePenaltySpec(lambda));

    public ModelSpec Build(ReconstructionLoss loss)
    {
        if (_codeLayer < 0) throw new ModelSpecException($"{_name}: no code layer marked (call Code() after the bottleneck layer)");
        return new ModelSpec(_name, _inputShape, _layers.ToArray(), loss, _codeLayer) { Penalties = _penalties.ToArray() };
    }
}

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
[JsonDerivedType(typeof(AvgPool2DSpec), "avgpool2d")]
[JsonDerivedType(typeof(UpSample2DSpec), "upsample2d")]
[JsonDerivedType(typeof(FlattenSpec), "flatten")]
[JsonDerivedType(typeof(ReshapeSpec), "reshape")]
[JsonDerivedType(typeof(VaeLatentSpec), "vae_latent")]
[JsonDerivedType(typeof(ActivationSpec), "activation")]
public abstract record LayerSpec;

/// <summary>Fully connected layer: units outputs, weight [units, inputs].</summary>
public sealed record DenseSpec(int Units, Activation Activation = Activation.Linear) : LayerSpec;

/// <summary>
/// 2-D convolution, weight [filters, C, KH, KW] as PyTorch's Conv2d. Keras' options are the positional ones (square
/// kernel, one stride, "same"/"valid"); PyTorch's sit beside them and are written to JSON only when set:
/// <see cref="KernelW"/>, <see cref="StrideW"/>, <see cref="Dilation"/>/<see cref="DilationW"/> and, with
/// <c>padding: "explicit"</c>, the integer padding <see cref="Pad"/>/<see cref="PadW"/> (PyTorch's padding=(pad, pad_w)).
/// Every "_w" value defaults to its height counterpart. "same" gives ceil(size / stride) outputs, padding split with
/// the odd pixel after, as TensorFlow and (for stride 1) PyTorch's padding="same" do.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record Conv2DSpec(int Filters, int Kernel, Activation Activation = Activation.Linear, Padding Padding = Padding.Same, int Stride = 1) : LayerSpec
{
    /// <summary>Kernel width when it differs from <see cref="Kernel"/> (then the height).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? KernelW { get; init; }
    /// <summary>Horizontal stride when it differs from <see cref="Stride"/> (then the vertical one).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? StrideW { get; init; }
    /// <summary>Rows of zeros above and below (<see cref="Padding.Explicit"/> only; default 0).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Pad { get; init; }
    /// <summary>Columns of zeros left and right (<see cref="Padding.Explicit"/> only; default <see cref="Pad"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PadW { get; init; }
    /// <summary>Vertical dilation (default 1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Dilation { get; init; }
    /// <summary>Horizontal dilation (default <see cref="Dilation"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? DilationW { get; init; }

    /// <summary>(height, width) of the kernel, strides, dilations and explicit padding, defaults applied.</summary>
    [JsonIgnore] public SpatialOptions Options => new((Kernel, KernelW ?? Kernel), (Stride, StrideW ?? Stride),
        (Dilation ?? 1, DilationW ?? Dilation ?? 1), Padding, (Pad ?? 0, PadW ?? Pad ?? 0));
}

/// <summary>
/// 2-D transposed convolution, weight [C, filters, KH, KW] as PyTorch's ConvTranspose2d, in one of two conventions:
/// Keras' (<c>padding</c> "same": size * stride; "valid": size * stride + max(dilated kernel - stride, 0); the extra
/// padding pixel after) or PyTorch's (<c>padding: "explicit"</c>): size (H - 1) * stride - 2 * pad + dilation *
/// (kernel - 1) + output_padding + 1, the window cropped by pad on both sides. The two differ: Keras "same" with kernel
/// 3, stride 2 is PyTorch's padding=1, output_padding=1 shifted by one pixel. Other options as <see cref="Conv2DSpec"/>.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record Conv2DTransposeSpec(int Filters, int Kernel, Activation Activation = Activation.Linear, Padding Padding = Padding.Same, int Stride = 1) : LayerSpec
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? KernelW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? StrideW { get; init; }
    /// <summary>PyTorch's padding (rows cropped at the top and bottom; <see cref="Padding.Explicit"/> only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Pad { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PadW { get; init; }
    /// <summary>PyTorch's output_padding: rows added at the bottom (<see cref="Padding.Explicit"/> only; less than the stride or the dilation).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? OutputPadding { get; init; }
    /// <summary>Columns added at the right (default <see cref="OutputPadding"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? OutputPaddingW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Dilation { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? DilationW { get; init; }

    /// <summary>(height, width) of the kernel, strides, dilations and explicit padding, defaults applied.</summary>
    [JsonIgnore] public SpatialOptions Options => new((Kernel, KernelW ?? Kernel), (Stride, StrideW ?? Stride),
        (Dilation ?? 1, DilationW ?? Dilation ?? 1), Padding, (Pad ?? 0, PadW ?? Pad ?? 0));
    /// <summary>(height, width) of output_padding, defaults applied.</summary>
    [JsonIgnore] public (int H, int W) OutputPaddingSize => (OutputPadding ?? 0, OutputPaddingW ?? OutputPadding ?? 0);
}

/// <summary>
/// Max-pool; stride defaults to the window size. Keras' "same"/"valid", or PyTorch's MaxPool2d with
/// <c>padding: "explicit"</c> (<see cref="Pad"/>/<see cref="PadW"/>, at most half the window; padding never wins the
/// max) and <see cref="CeilMode"/>. Rectangular windows and strides through <see cref="SizeW"/>/<see cref="StrideW"/>.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record MaxPool2DSpec(int Size = 2, Padding Padding = Padding.Same, int? Stride = null) : LayerSpec
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? SizeW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? StrideW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Pad { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PadW { get; init; }
    /// <summary>PyTorch's ceil_mode: round the output size up (not with "same").</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? CeilMode { get; init; }

    /// <summary>(height, width) of the window, strides and explicit padding, defaults applied (dilation is 1).</summary>
    [JsonIgnore] public SpatialOptions Options => PoolOptions(Size, SizeW, Stride, StrideW, Padding, Pad, PadW);

    internal static SpatialOptions PoolOptions(int size, int? sizeW, int? stride, int? strideW, Padding padding, int? pad, int? padW)
    {
        int w = sizeW ?? size;
        return new((size, w), (stride ?? size, strideW ?? stride ?? w), (1, 1), padding, (pad ?? 0, padW ?? pad ?? 0));
    }
}

/// <summary>
/// Average pool (PyTorch's AvgPool2d / Keras' AveragePooling2D); stride defaults to the window size. The sum of the
/// window's input values is divided by the count of its positions inside the input, or with
/// <see cref="CountIncludePad"/> inside the padded input (PyTorch's count_include_pad; the part of a ceil-mode window
/// past the padding never counts). Default: true with "explicit" padding (PyTorch's default), false otherwise
/// (Keras/TensorFlow). Other options as <see cref="MaxPool2DSpec"/>.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AvgPool2DSpec(int Size = 2, Padding Padding = Padding.Valid, int? Stride = null) : LayerSpec
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? SizeW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? StrideW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Pad { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PadW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? CeilMode { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? CountIncludePad { get; init; }

    [JsonIgnore] public SpatialOptions Options => MaxPool2DSpec.PoolOptions(Size, SizeW, Stride, StrideW, Padding, Pad, PadW);
    /// <summary>Whether padding positions count in the divisor, the default applied.</summary>
    [JsonIgnore] public bool CountsPadding => CountIncludePad ?? Padding == Padding.Explicit;
}

/// <summary>How <see cref="UpSample2DSpec"/> interpolates ("nearest", "bilinear" in JSON).</summary>
[JsonConverter(typeof(SnakeCaseEnum<UpsampleMode>))]
public enum UpsampleMode { Nearest, Bilinear }

/// <summary>
/// Upsampling by integer factors (<see cref="Scale"/>, <see cref="ScaleW"/> horizontally when different): nearest
/// neighbour (default), or <see cref="Mode"/> "bilinear" as PyTorch's Upsample(mode="bilinear", align_corners):
/// half-pixel centres clamped at the edge, or with <see cref="AlignCorners"/> the corner pixels aligned.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpSample2DSpec(int Scale = 2) : LayerSpec
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ScaleW { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public UpsampleMode? Mode { get; init; }
    /// <summary>PyTorch's align_corners (bilinear only; default false).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? AlignCorners { get; init; }
}

/// <summary>A spatial layer's numbers per axis, defaults applied: what the layer builds its geometry from (and what an
/// exporter reads). <see cref="Pad"/> is the explicit padding, meaningful with <see cref="Padding.Explicit"/>.</summary>
public readonly record struct SpatialOptions((int H, int W) Window, (int H, int W) Stride, (int H, int W) Dilation, Padding Padding, (int H, int W) Pad);

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

/// <summary>
/// A standalone activation layer with its parameters, as PyTorch's modules (nn.ReLU, nn.LeakyReLU(negative_slope),
/// nn.ELU(alpha), nn.Sigmoid, nn.Tanh, nn.Softplus(beta, threshold)); JSON
/// <c>{"type":"activation","activation":"leaky_relu","negative_slope":0.2}</c>. A parameter may only be given to the
/// activation it belongs to; absent ones take PyTorch's defaults (<see cref="ActivationParameters.Default"/>).
/// The <c>activation</c> field of dense and conv layers stays fused with those fixed defaults.
/// </summary>
public sealed record ActivationSpec(
    Activation Activation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? NegativeSlope = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Alpha = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Beta = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Threshold = null) : LayerSpec
{
    /// <summary>The parameters the kernels take: the given ones, PyTorch's defaults for the rest.</summary>
    [JsonIgnore]
    public ActivationParameters Parameters
    {
        get
        {
            var d = ActivationParameters.Default;
            return new(NegativeSlope ?? d.NegativeSlope, Alpha ?? d.Alpha, Beta ?? d.Beta, Threshold ?? d.Threshold);
        }
    }

    /// <summary>Null when every given parameter belongs to <see cref="Activation"/> and the values are usable, else why not.</summary>
    public string? Problem()
    {
        string name = SnakeCase(Activation);
        if (NegativeSlope is not null && Activation != Activation.LeakyRelu) return $"negative_slope applies to leaky_relu, not {name}";
        if (Alpha is not null && Activation != Activation.Elu) return $"alpha applies to elu, not {name}";
        if (Beta is not null && Activation != Activation.Softplus) return $"beta applies to softplus, not {name}";
        if (Threshold is not null && Activation != Activation.Softplus) return $"threshold applies to softplus, not {name}";
        return Parameters.Problem();
    }

    internal static string SnakeCase(Activation activation) => JsonNamingPolicy.SnakeCaseLower.ConvertName(activation.ToString());

    /// <summary>"leaky_relu(negative_slope=0.2)", "softplus(beta=2, threshold=10)", "sigmoid".</summary>
    public override string ToString()
    {
        var given = new List<string>();
        if (NegativeSlope is { } s) given.Add($"negative_slope={s:g}");
        if (Alpha is { } a) given.Add($"alpha={a:g}");
        if (Beta is { } b) given.Add($"beta={b:g}");
        if (Threshold is { } t) given.Add($"threshold={t:g}");
        return SnakeCase(Activation) + (given.Count > 0 ? $"({string.Join(", ", given)})" : "");
    }
}

/// <summary>Reconstruction loss, reported as the mean per pixel (Keras' convention) unless <see cref="ModelSpec.Reduction"/>
/// or a VAE makes it a sum per image.</summary>
public enum ReconstructionLoss
{
    /// <summary>Binary cross-entropy; the output layer must be sigmoid, which is fused into a stable BCE-on-logits.</summary>
    BinaryCrossEntropy,
    MeanSquaredError,
    MeanAbsoluteError,
    /// <summary>Binary cross-entropy on probabilities as PyTorch's BCELoss computes it: each log clamped at -100, gradient
    /// (p - t) / max(p(1-p), 1e-12). The output must come from a sigmoid (fused or an activation layer); nothing is folded.</summary>
    BinaryCrossEntropyOnProbabilities,
}

/// <summary>How the reconstruction loss is reduced over the batch (PyTorch's <c>reduction</c>).</summary>
public enum LossReduction
{
    /// <summary>The mean over every element of the batch (PyTorch's default); reported per pixel.</summary>
    Mean,
    /// <summary>The sum over every element of the batch, so gradients are batch-size times the per-image mean's
    /// (PyTorch's reduction='sum'); reported per image, as the PyTorch examples print it.</summary>
    Sum,
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

    /// <summary>The loss reduction; null (the default, absent from JSON) keeps the model's own convention: the mean per
    /// element for most models, the per-image mean of the summed loss for a VAE. A VAE takes only null or
    /// <see cref="LossReduction.Sum"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LossReduction? Reduction { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, SpecJsonContext.Default.ModelSpec);

    /// <summary>True for a VAE (a <see cref="VaeLatentSpec"/> layer) or a <see cref="LossReduction.Sum"/> reduction:
    /// losses are sums over the pixels (plus beta·KL), reported per image (the PyTorch examples' convention); other
    /// models report means per pixel.</summary>
    [JsonIgnore]
    public bool LossPerImage => Reduction == LossReduction.Sum || Layers.Any(l => l is VaeLatentSpec);

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
        Conv2DSpec c => DescribeConv("conv", c.Filters, c.Options, c.Activation),
        Conv2DTransposeSpec t => DescribeConv("convT", t.Filters, t.Options, t.Activation)
            + (t.OutputPaddingSize != (0, 0) ? $" output_padding {t.OutputPaddingSize.H}x{t.OutputPaddingSize.W}" : ""),
        MaxPool2DSpec p => DescribePool("maxpool", p.Options, p.CeilMode == true),
        AvgPool2DSpec p => DescribePool("avgpool", p.Options, p.CeilMode == true) + (p.CountsPadding ? " count_include_pad" : ""),
        UpSample2DSpec u => $"upsample {Pair(u.Scale, u.ScaleW ?? u.Scale)}{(u.Mode == UpsampleMode.Bilinear ? $" bilinear{(u.AlignCorners == true ? " align_corners" : "")}" : "")}",
        FlattenSpec => "flatten",
        ReshapeSpec r => $"reshape [{string.Join(",", r.Shape)}]",
        VaeLatentSpec v => $"vae latent {v.Units}{(v.Beta != 1f ? $" beta {v.Beta:g}" : "")}",
        ActivationSpec a => a.ToString(),
        _ => layer.GetType().Name,
    };

    private static string DescribeConv(string kind, int filters, SpatialOptions o, Activation activation) =>
        $"{kind} {filters}x{o.Window.H}x{o.Window.W}{(o.Stride != (1, 1) ? $"/{Pair(o.Stride.H, o.Stride.W)}" : "")}" +
        $"{(o.Dilation != (1, 1) ? $" dilation {Pair(o.Dilation.H, o.Dilation.W)}" : "")} {DescribePadding(o)} {activation.ToString().ToLowerInvariant()}";

    private static string DescribePool(string kind, SpatialOptions o, bool ceilMode) =>
        $"{kind} {Pair(o.Window.H, o.Window.W)}{(o.Stride != o.Window ? $"/{Pair(o.Stride.H, o.Stride.W)}" : "")}" +
        $"{(o.Padding == Padding.Explicit || o.Padding == Padding.Valid || ceilMode ? $" {DescribePadding(o)}" : "")}{(ceilMode ? " ceil" : "")}";

    private static string DescribePadding(SpatialOptions o) =>
        o.Padding == Padding.Explicit ? $"pad {Pair(o.Pad.H, o.Pad.W)}" : o.Padding.ToString().ToLowerInvariant();

    /// <summary>"3" for a square pair, "3x5" otherwise.</summary>
    private static string Pair(int h, int w) => h == w ? $"{h}" : $"{h}x{w}";
}

/// <summary>How a model is trained: optimizer, learning rate, batch size and epochs; <see cref="Noise"/> &gt; 0 trains
/// a denoising autoencoder (inputs clamp(x + Noise * N(0,1), 0, 1), target the clean x). Optimizer hyper-parameters,
/// schedule and early stopping: TrainingRecipe.Options.cs.</summary>
public sealed partial record TrainingRecipe(OptimizerKind Optimizer, float LearningRate, int BatchSize, int Epochs, float WeightDecay = 0f, float Noise = 0f)
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
                  typeof(SnakeCaseEnum<OptimizerKind>), typeof(SnakeCaseEnum<ActivityPenaltyKind>),
                  typeof(SnakeCaseEnum<LossReduction>), typeof(SnakeCaseEnum<OptimizerDefaults>)])]
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

    /// <summary>PyTorch's <c>Conv2d(in, filters, (kernelH, kernelW), stride=(strideH, strideW), padding=(padH, padW),
    /// dilation=(dilationH, dilationW))</c> with a fused activation.</summary>
    public ModelBuilder TorchConv2D(int filters, (int H, int W) kernel, Activation activation,
        (int H, int W) stride = default, (int H, int W) padding = default, (int H, int W) dilation = default) =>
        Add(new Conv2DSpec(filters, kernel.H, activation, Padding.Explicit, Positive(stride).H)
        {
            KernelW = kernel.W, StrideW = Positive(stride).W, Pad = padding.H, PadW = padding.W,
            Dilation = Positive(dilation).H, DilationW = Positive(dilation).W,
        });

    /// <summary>PyTorch's <c>ConvTranspose2d(in, filters, (kernelH, kernelW), stride, padding, output_padding, dilation=...)</c>
    /// with a fused activation: output (H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.</summary>
    public ModelBuilder TorchConv2DTranspose(int filters, (int H, int W) kernel, Activation activation, (int H, int W) stride = default,
        (int H, int W) padding = default, (int H, int W) outputPadding = default, (int H, int W) dilation = default) =>
        Add(new Conv2DTransposeSpec(filters, kernel.H, activation, Padding.Explicit, Positive(stride).H)
        {
            KernelW = kernel.W, StrideW = Positive(stride).W, Pad = padding.H, PadW = padding.W,
            OutputPadding = outputPadding.H, OutputPaddingW = outputPadding.W, Dilation = Positive(dilation).H, DilationW = Positive(dilation).W,
        });

    /// <summary>PyTorch's <c>MaxPool2d(kernel, stride (default kernel), padding, ceil_mode)</c>.</summary>
    public ModelBuilder TorchMaxPool2D((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W) padding = default, bool ceilMode = false) =>
        Add(new MaxPool2DSpec(kernel.H, Padding.Explicit, (stride ?? kernel).H)
        {
            SizeW = kernel.W, StrideW = (stride ?? kernel).W, Pad = padding.H, PadW = padding.W, CeilMode = ceilMode,
        });

    /// <summary>PyTorch's <c>AvgPool2d(kernel, stride (default kernel), padding, ceil_mode, count_include_pad)</c>.</summary>
    public ModelBuilder TorchAvgPool2D((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool ceilMode = false, bool countIncludePad = true) =>
        Add(new AvgPool2DSpec(kernel.H, Padding.Explicit, (stride ?? kernel).H)
        {
            SizeW = kernel.W, StrideW = (stride ?? kernel).W, Pad = padding.H, PadW = padding.W, CeilMode = ceilMode, CountIncludePad = countIncludePad,
        });

    /// <summary>Keras' <c>AveragePooling2D(size, strides, padding)</c>: the divisor counts input positions only.</summary>
    public ModelBuilder AvgPool2D(int size = 2, Padding padding = Padding.Valid, int? stride = null) => Add(new AvgPool2DSpec(size, padding, stride));

    /// <summary>PyTorch's <c>Upsample(scale_factor=scale, mode="bilinear", align_corners)</c>.</summary>
    public ModelBuilder UpSample2DBilinear(int scale = 2, bool alignCorners = false) =>
        Add(new UpSample2DSpec(scale) { Mode = UpsampleMode.Bilinear, AlignCorners = alignCorners });

    /// <summary>(1, 1) for a pair left at its default (0, 0), as PyTorch's stride and dilation default to 1.</summary>
    private static (int H, int W) Positive((int H, int W) pair) => pair == default ? (1, 1) : pair;
    public ModelBuilder Flatten() => Add(new FlattenSpec());
    public ModelBuilder Reshape(params int[] shape) => Add(new ReshapeSpec(shape));
    /// <summary>A standalone <paramref name="activation"/> layer (PyTorch's activation modules) with its parameters: LeakyReLU's
    /// <paramref name="negativeSlope"/>, ELU's <paramref name="alpha"/>, Softplus' <paramref name="beta"/> and
    /// <paramref name="threshold"/> (null: PyTorch's default; only the activation's own may be given).</summary>
    public ModelBuilder ActivationLayer(Activation activation, float? negativeSlope = null, float? alpha = null, float? beta = null, float? threshold = null) =>
        Add(new ActivationSpec(activation, negativeSlope, alpha, beta, threshold));
    /// <summary>nn.LeakyReLU(negative_slope) as a layer.</summary>
    public ModelBuilder LeakyRelu(float negativeSlope) => ActivationLayer(Backends.Activation.LeakyRelu, negativeSlope: negativeSlope);
    /// <summary>nn.ELU(alpha) as a layer.</summary>
    public ModelBuilder Elu(float alpha) => ActivationLayer(Backends.Activation.Elu, alpha: alpha);
    /// <summary>nn.Softplus(beta, threshold) as a layer.</summary>
    public ModelBuilder Softplus(float beta, float threshold = ActivationConstants.SoftplusThreshold) =>
        ActivationLayer(Backends.Activation.Softplus, beta: beta, threshold: threshold);
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

    public ModelSpec Build(ReconstructionLoss loss, LossReduction? reduction = null)
    {
        if (_codeLayer < 0) throw new ModelSpecException($"{_name}: no code layer marked (call Code() after the bottleneck layer)");
        return new ModelSpec(_name, _inputShape, _layers.ToArray(), loss, _codeLayer) { Penalties = _penalties.ToArray(), Reduction = reduction };
    }
}

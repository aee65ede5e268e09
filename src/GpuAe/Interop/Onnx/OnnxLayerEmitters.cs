using GpuAe.Backends;
using GpuAe.Layers;
using GpuAe.Models;
using static GpuAe.Interop.Onnx.OnnxAttribute;

namespace GpuAe.Interop.Onnx;

/// <summary>
/// One method per layer kind, each appending the ONNX nodes that compute the layer at inference from its input
/// tensor and returning its output tensor. A new layer kind is one case in <see cref="Emit"/> and one method here.
/// Shapes and padding come from the built <see cref="Layer"/> (the same arithmetic training uses); activations
/// and options from the spec (the network folds a BCE model's output sigmoid into its loss, ONNX applies it).
/// </summary>
internal static class OnnxLayerEmitters
{
    /// <exception cref="ModelSpecException">A layer kind without an emitter; the message names the layer.</exception>
    public static string Emit(OnnxGraphBuilder g, Layer layer, LayerSpec spec, string x) => spec switch
    {
        DenseSpec d => Activation(g, layer.Name, d.Activation, Dense(g, layer.Name, x)),
        Conv2DSpec c => Activation(g, layer.Name, c.Activation, Conv2D(g, layer, c, x)),
        Conv2DTransposeSpec t => Activation(g, layer.Name, t.Activation, Conv2DTranspose(g, layer, t, x)),
        MaxPool2DSpec p => MaxPool2D(g, layer, p, x),
        UpSample2DSpec u => UpSample2D(g, layer.Name, u, x),
        FlattenSpec => g.Add("Flatten", $"{layer.Name}.flatten", [x], new Int("axis", 1)),
        ReshapeSpec => Reshape(g, $"{layer.Name}.reshape", layer.OutputShape.ToArray(), x),
        VaeLatentSpec => VaeLatent(g, layer, x),
        ActivationSpec a => Activation(g, layer.Name, a.Activation, x, a.Parameters),
        _ => throw new ModelSpecException(
            $"{layer.Name}: ONNX export has no emitter for {spec.GetType().Name.Replace("Spec", "", StringComparison.Ordinal)} layers yet"),
    };

    /// <summary>y = x Wᵀ + b (W [out, in] as nn.Linear): Gemm with transB.</summary>
    private static string Dense(OnnxGraphBuilder g, string name, string x) =>
        g.Add("Gemm", $"{name}.gemm", [x, g.Weight($"{name}.weight"), g.Weight($"{name}.bias")], new Int("transB", 1));

    /// <summary>Conv with the layer's explicit padding (Keras 'same' puts the odd pixel after: pads [top, left, bottom, right]).</summary>
    private static string Conv2D(OnnxGraphBuilder g, Layer layer, Conv2DSpec spec, string x)
    {
        var (top, bottom) = PaddingMath.Amount(spec.Padding, layer.InputShape[1], spec.Kernel, spec.Stride);
        var (left, right) = PaddingMath.Amount(spec.Padding, layer.InputShape[2], spec.Kernel, spec.Stride);
        return g.Add("Conv", $"{layer.Name}.conv", [x, g.Weight($"{layer.Name}.weight"), g.Weight($"{layer.Name}.bias")],
            new Ints("kernel_shape", [spec.Kernel, spec.Kernel]), new Ints("strides", [spec.Stride, spec.Stride]),
            new Ints("dilations", [1, 1]), new Ints("pads", [top, left, bottom, right]), new Int("group", 1));
    }

    /// <summary>
    /// ConvTranspose (W [in, out, K, K], ONNX's layout too). GpuAe's layer is the adjoint of the 'same'/'valid' convolution
    /// over its output, whose padding (before, after) we know: the full transposed output (in - 1)·stride + K is cropped
    /// by 'before' at the start and by whatever exceeds the layer's output size at the end; when the full output is
    /// shorter (K &lt; stride, 'valid'), output_padding adds the missing rows.
    /// </summary>
    private static string Conv2DTranspose(OnnxGraphBuilder g, Layer layer, Conv2DTransposeSpec spec, string x)
    {
        (long Begin, long End, long Extra) Axis(int input, int output)
        {
            var (before, _) = PaddingMath.Amount(spec.Padding, output, spec.Kernel, spec.Stride);
            long excess = (long)(input - 1) * spec.Stride + spec.Kernel - before - output;
            return (before, Math.Max(excess, 0), Math.Max(-excess, 0));
        }
        var rows = Axis(layer.InputShape[1], layer.OutputShape[1]);
        var columns = Axis(layer.InputShape[2], layer.OutputShape[2]);
        return g.Add("ConvTranspose", $"{layer.Name}.conv_transpose", [x, g.Weight($"{layer.Name}.weight"), g.Weight($"{layer.Name}.bias")],
            new Ints("kernel_shape", [spec.Kernel, spec.Kernel]), new Ints("strides", [spec.Stride, spec.Stride]),
            new Ints("dilations", [1, 1]), new Ints("pads", [rows.Begin, columns.Begin, rows.End, columns.End]),
            new Ints("output_padding", [rows.Extra, columns.Extra]), new Int("group", 1));
    }

    /// <summary>MaxPool; padded positions never win (ONNX pads max-pool with -∞, as GpuAe's kernel skips them).</summary>
    private static string MaxPool2D(OnnxGraphBuilder g, Layer layer, MaxPool2DSpec spec, string x)
    {
        int stride = spec.Stride ?? spec.Size;
        var (top, bottom) = PaddingMath.Amount(spec.Padding, layer.InputShape[1], spec.Size, stride);
        var (left, right) = PaddingMath.Amount(spec.Padding, layer.InputShape[2], spec.Size, stride);
        return g.Add("MaxPool", $"{layer.Name}.maxpool", [x],
            new Ints("kernel_shape", [spec.Size, spec.Size]), new Ints("strides", [stride, stride]), new Ints("pads", [top, left, bottom, right]));
    }

    /// <summary>Nearest upsampling by an integer factor: Resize, output pixel i reads input floor(i / scale).</summary>
    private static string UpSample2D(OnnxGraphBuilder g, string name, UpSample2DSpec spec, string x) =>
        g.Add("Resize", $"{name}.resize", [x, "", g.Constant($"{name}.scales", 1f, 1f, spec.Scale, spec.Scale)],
            new Text("mode", "nearest"), new Text("coordinate_transformation_mode", "asymmetric"), new Text("nearest_mode", "floor"));

    /// <summary>A VAE's latent at inference: the mean head (what `gpuae encode` writes and the decoder reads); the
    /// encoder also outputs the log-variance head as "log_var".</summary>
    private static string VaeLatent(OnnxGraphBuilder g, Layer layer, string x)
    {
        if (g.WantSideOutputs)
            g.SideOutputs.Add(new OnnxValue(g.Output(Dense(g, $"{layer.Name}.log_var", x), "log_var"), layer.OutputShape.ToArray()));
        return Dense(g, $"{layer.Name}.mean", x);
    }

    /// <summary>Per-sample <paramref name="shape"/> with the batch axis kept.</summary>
    public static string Reshape(OnnxGraphBuilder g, string name, int[] shape, string x) =>
        g.Add("Reshape", name, [x, g.Constant($"{name}.shape", [-1, .. shape.Select(d => (long)d)])]);

    /// <summary>An activation, fused after a layer (PyTorch's default parameters) or a standalone activation layer
    /// (its own); nothing for linear.</summary>
    private static string Activation(OnnxGraphBuilder g, string name, Activation activation, string x, ActivationParameters? parameters = null)
    {
        var p = parameters ?? ActivationParameters.Default;
        return activation switch
        {
            Backends.Activation.Linear => x,
            Backends.Activation.Relu => g.Add("Relu", $"{name}.relu", [x]),
            Backends.Activation.LeakyRelu => g.Add("LeakyRelu", $"{name}.leaky_relu", [x], new Float("alpha", p.NegativeSlope)),
            Backends.Activation.Elu => g.Add("Elu", $"{name}.elu", [x], new Float("alpha", p.Alpha)),
            Backends.Activation.Sigmoid => g.Add("Sigmoid", $"{name}.sigmoid", [x]),
            Backends.Activation.Tanh => g.Add("Tanh", $"{name}.tanh", [x]),
            Backends.Activation.Softplus => Softplus(g, $"{name}.softplus", p.Beta, p.Threshold, x),
            _ => throw new ModelSpecException($"{name}: ONNX export has no emitter for activation {activation} yet"),
        };
    }

    /// <summary>
    /// PyTorch's softplus(x) = log(1 + exp(beta·x)) / beta, and x itself where beta·x &gt; threshold. ONNX's Softplus has
    /// neither parameter: with PyTorch's defaults (beta 1, threshold 20, where the two branches agree to e^-20) it is
    /// used as is; otherwise Softplus(beta·x) / beta, and a Where for the linear branch.
    /// </summary>
    private static string Softplus(OnnxGraphBuilder g, string name, float beta, float threshold, string x)
    {
        var defaults = ActivationParameters.Default;
        if (beta == defaults.Beta && threshold >= defaults.Threshold)
            return g.Add("Softplus", name, [x]);
        string scaled = g.Add("Mul", $"{name}.scale", [x, g.Constant($"{name}.beta", beta)]);
        string smooth = g.Add("Div", $"{name}.unscale", [g.Add("Softplus", $"{name}.smooth", [scaled]), g.Constant($"{name}.beta_divisor", beta)]);
        string linear = g.Add("Greater", $"{name}.linear", [scaled, g.Constant($"{name}.threshold", threshold)]);
        return g.Add("Where", name, [linear, x, smooth]);
    }
}

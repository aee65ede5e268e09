using GpuAe.Backends;
using GpuAe.Layers;
using AvgPool2DLayer = GpuAe.Layers.AvgPool2D.AvgPool2DLayer;
using Conv2DLayer = GpuAe.Layers.Conv2D.Conv2DLayer;
using Conv2DTransposeLayer = GpuAe.Layers.Conv2DTranspose.Conv2DTransposeLayer;
using MaxPool2DLayer = GpuAe.Layers.MaxPool2D.MaxPool2DLayer;
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
        Conv2DSpec c => Activation(g, layer.Name, c.Activation, Conv2D(g, (Conv2DLayer)layer, x)),
        Conv2DTransposeSpec t => Activation(g, layer.Name, t.Activation, Conv2DTranspose(g, (Conv2DTransposeLayer)layer, x)),
        MaxPool2DSpec => Pool(g, "MaxPool", $"{layer.Name}.maxpool", ((MaxPool2DLayer)layer).Geometry, x),
        AvgPool2DSpec => Pool(g, "AveragePool", $"{layer.Name}.avgpool", ((AvgPool2DLayer)layer).Geometry, x),
        UpSample2DSpec u => UpSample2D(g, layer, u, x),
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

    /// <summary>Conv with the layer's geometry: per-axis kernel, stride, dilation and padding (Keras 'same' puts the
    /// odd pixel after; ONNX pads are [top, left, bottom, right] and may differ).</summary>
    private static string Conv2D(OnnxGraphBuilder g, Conv2DLayer layer, string x)
    {
        var c = layer.Geometry;
        return g.Add("Conv", $"{layer.Name}.conv", [x, g.Weight($"{layer.Name}.weight"), g.Weight($"{layer.Name}.bias")],
            new Ints("kernel_shape", [c.KernelH, c.KernelW]), new Ints("strides", [c.StrideH, c.StrideW]),
            new Ints("dilations", [c.DilationH, c.DilationW]), new Ints("pads", [c.PadTop, c.PadLeft, c.PadBottom, c.PadRight]),
            new Int("group", 1));
    }

    /// <summary>
    /// ConvTranspose (W [in, out, KH, KW], ONNX's layout too). GpuAe's layer is the adjoint of a convolution over its
    /// output (the layer's geometry, whatever convention the spec used: Keras same/valid or PyTorch padding and
    /// output_padding). The full transposed output (in - 1)·stride + dilation·(K - 1) + 1 is cropped by that
    /// convolution's top/left padding at the start and by whatever exceeds the layer's output size at the end; when it
    /// is shorter (a negative bottom/right padding: PyTorch's output_padding, or K &lt; stride with 'valid'),
    /// output_padding adds the missing rows.
    /// </summary>
    private static string Conv2DTranspose(OnnxGraphBuilder g, Conv2DTransposeLayer layer, string x)
    {
        var c = layer.Geometry;
        (long Begin, long End, long Extra) Axis(int input, int output, int kernel, int stride, int dilation, int before)
        {
            long excess = (long)(input - 1) * stride + (long)dilation * (kernel - 1) + 1 - before - output;
            return (before, Math.Max(excess, 0), Math.Max(-excess, 0));
        }
        var rows = Axis(layer.InputShape[1], c.Height, c.KernelH, c.StrideH, c.DilationH, c.PadTop);
        var columns = Axis(layer.InputShape[2], c.Width, c.KernelW, c.StrideW, c.DilationW, c.PadLeft);
        return g.Add("ConvTranspose", $"{layer.Name}.conv_transpose", [x, g.Weight($"{layer.Name}.weight"), g.Weight($"{layer.Name}.bias")],
            new Ints("kernel_shape", [c.KernelH, c.KernelW]), new Ints("strides", [c.StrideH, c.StrideW]),
            new Ints("dilations", [c.DilationH, c.DilationW]), new Ints("pads", [rows.Begin, columns.Begin, rows.End, columns.End]),
            new Ints("output_padding", [rows.Extra, columns.Extra]), new Int("group", 1));
    }

    /// <summary>MaxPool or AveragePool with the layer's geometry. Max: padded positions never win (ONNX pads max-pool
    /// with -∞, as GpuAe's kernel skips them). Average: count_include_pad as the layer divides; ceil_mode as PyTorch.</summary>
    private static string Pool(OnnxGraphBuilder g, string op, string name, PoolGeometry p, string x)
    {
        List<OnnxAttribute> attributes =
        [
            new Ints("kernel_shape", [p.WindowH, p.WindowW]), new Ints("strides", [p.StrideH, p.StrideW]),
            new Ints("pads", [p.PadTop, p.PadLeft, p.PadBottom, p.PadRight]), new Int("ceil_mode", p.CeilMode ? 1 : 0),
        ];
        if (op == "AveragePool") attributes.Add(new Int("count_include_pad", p.CountPadding ? 1 : 0));
        return g.Add(op, name, [x], [.. attributes]);
    }

    /// <summary>Upsampling by integer factors: Resize. Nearest: output pixel i reads input floor(i / scale). Bilinear:
    /// PyTorch's half-pixel centres ("pytorch_half_pixel") or, with align_corners, the corners aligned.</summary>
    private static string UpSample2D(OnnxGraphBuilder g, Layer layer, UpSample2DSpec spec, string x)
    {
        string name = layer.Name;
        float scaleH = layer.OutputShape[1] / (float)layer.InputShape[1], scaleW = layer.OutputShape[2] / (float)layer.InputShape[2];
        string scales = g.Constant($"{name}.scales", 1f, 1f, scaleH, scaleW);
        return (spec.Mode ?? UpsampleMode.Nearest) == UpsampleMode.Nearest
            ? g.Add("Resize", $"{name}.resize", [x, "", scales],
                new Text("mode", "nearest"), new Text("coordinate_transformation_mode", "asymmetric"), new Text("nearest_mode", "floor"))
            : g.Add("Resize", $"{name}.resize", [x, "", scales], new Text("mode", "linear"),
                new Text("coordinate_transformation_mode", spec.AlignCorners == true ? "align_corners" : "pytorch_half_pixel"));
    }

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

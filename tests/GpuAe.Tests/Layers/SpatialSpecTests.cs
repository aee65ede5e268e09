using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Models;
using GpuAe.Tests.Autodiff;
using GpuAe.Training;

namespace GpuAe.Tests.Layers;

/// <summary>The spatial layers' PyTorch options in the model spec: JSON, builder, shape inference and its errors, and
/// the two transposed-convolution conventions side by side.</summary>
public class SpatialSpecTests
{
    private static ModelSpec PyTorchStyle() => new ModelBuilder("torch", 1, 28, 28)
        .TorchConv2D(8, (3, 5), Activation.Relu, stride: (2, 1), padding: (1, 2), dilation: (1, 1))  // 8 x 14 x 28
        .TorchMaxPool2D((3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)                         // 8 x 8 x 15
        .TorchAvgPool2D((2, 3), stride: (2, 3), ceilMode: true, countIncludePad: false).Code()           // 8 x 4 x 5
        .TorchConv2DTranspose(4, (3, 3), Activation.Relu, stride: (2, 2), padding: (1, 1), outputPadding: (1, 1)) // 4 x 8 x 10
        .UpSample2DBilinear(2, alignCorners: true)                                                       // 4 x 16 x 20
        .TorchConv2DTranspose(1, (13, 9), Activation.Sigmoid)                                            // 1 x 28 x 28
        .Build(ReconstructionLoss.BinaryCrossEntropy);

    [Fact]
    public void PyTorch_options_infer_shapes_and_round_trip_through_json()
    {
        var spec = PyTorchStyle();
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, spec);
        Assert.Equal(["[8, 14, 28]", "[8, 8, 15]", "[8, 4, 5]", "[4, 8, 10]", "[4, 16, 20]", "[1, 28, 28]"],
            network.Layers.Select(l => l.OutputShape.ToString()));
        Assert.Equal(new Shape(8, 1, 3, 5), network.Layers[0].Parameters[0].Shape);
        Assert.Equal(new Shape(4, 1, 13, 9), network.Layers[5].Parameters[0].Shape);

        string json = spec.ToJson();
        Assert.Contains("""{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"explicit","stride":2,"kernel_w":5,"stride_w":1,"pad":1,"pad_w":2,"dilation":1,"dilation_w":1}""", json);
        Assert.Contains("""{"type":"avgpool2d","size":2,"padding":"explicit","stride":2,"size_w":3,"stride_w":3,"pad":0,"pad_w":0,"ceil_mode":true,"count_include_pad":false}""", json);
        Assert.Contains("""{"type":"upsample2d","scale":2,"mode":"bilinear","align_corners":true}""", json);
        Assert.Contains("\"output_padding\":1,\"output_padding_w\":1", json);
        var back = ModelSpec.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(spec.Layers, back.Layers);
        Assert.Contains("conv 8x3x5/2x1 pad 1x2 relu > maxpool 3/2 pad 1 ceil > avgpool 2x3 pad 0 ceil", back.ToString());
        Assert.Contains("convT 4x3x3/2 pad 1 relu output_padding 1x1 > upsample 2 bilinear align_corners", back.ToString());
    }

    [Fact]
    public void Keras_layers_write_no_pytorch_fields_and_old_json_keeps_loading()
    {
        var spec = new ModelBuilder("keras", 1, 8, 8).Conv2D(2, 3, Activation.Relu).MaxPool2D().Code().UpSample2D()
            .Conv2DTranspose(1, 3, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy);
        Assert.Equal(
            """{"name":"keras","input_shape":[1,8,8],"layers":[{"type":"conv2d","filters":2,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"upsample2d","scale":2},{"type":"conv2d_transpose","filters":1,"kernel":3,"activation":"sigmoid","padding":"same","stride":1}],"loss":"binary_cross_entropy","code_layer":1}""",
            spec.ToJson());
        // JSON without the optional fields (every spec written before them) reads with Keras' semantics
        var old = ModelSpec.FromJson("""{"name":"old","input_shape":[1,4,4],"layers":[{"type":"maxpool2d"},{"type":"upsample2d"}],"loss":"mean_squared_error","code_layer":0}""");
        Assert.Equal(new MaxPool2DSpec(), old.Layers[0]);
        Assert.Equal(new UpSample2DSpec(), old.Layers[1]);
    }

    [Fact]
    public void A_misspelt_option_is_refused_not_ignored()
    {
        // Before: "output_padding" on a layer without the field loaded without complaint and computed something else.
        var error = Assert.Throws<ModelSpecException>(() => ModelSpec.FromJson(
            """{"name":"m","input_shape":[1,4,4],"layers":[{"type":"conv2d_transpose","filters":1,"kernel":3,"padding":"explicit","pad":1,"outputpadding":1}],"loss":"mean_squared_error","code_layer":0}"""));
        Assert.Contains("outputpadding", error.Message);
        Assert.StartsWith("model spec JSON is malformed", error.Message);
    }

    public static TheoryData<string, ModelBuilder> Broken => new()
    {
        { "layers.1: conv2d_transpose has output_padding 1 but padding \"same\"; integer padding needs padding \"explicit\"",
            new ModelBuilder("m", 1, 8, 8).Conv2D(2, 3, Activation.Relu, stride: 2).Code()
                .Add(new Conv2DTransposeSpec(1, 3, Activation.Sigmoid, Padding.Same, 2) { OutputPadding = 1 }) },
        { "layers.1: conv2d_transpose output_padding 2x2 must be smaller than the stride 2x2 or the dilation 1x1 (PyTorch's limit)",
            new ModelBuilder("m", 1, 8, 8).Conv2D(2, 3, Activation.Relu, stride: 2).Code()
                .TorchConv2DTranspose(1, (3, 3), Activation.Sigmoid, stride: (2, 2), padding: (1, 1), outputPadding: (2, 2)) },
        { "layers.0: conv2d with kernel 5x3, stride 1x1, dilation 3x1, padding 1x0 does not fit input [1, 8, 8] (output -2x6)",
            new ModelBuilder("m", 1, 8, 8).TorchConv2D(1, (5, 3), Activation.Relu, padding: (1, 0), dilation: (3, 1)).Code() },
        { "layers.0: conv2d has pad 1 but padding \"valid\"; integer padding needs padding \"explicit\"",
            new ModelBuilder("m", 1, 8, 8).Add(new Conv2DSpec(1, 3, Activation.Relu, Padding.Valid) { Pad = 1 }).Code() },
        { "layers.0: conv2d needs dilation_w >= 1, got 0",
            new ModelBuilder("m", 1, 8, 8).Add(new Conv2DSpec(1, 3, Activation.Relu) { DilationW = 0 }).Code() },
        { "layers.0: maxpool2d padding 2x0 is more than half the window 3x3 (PyTorch's limit)",
            new ModelBuilder("m", 1, 8, 8).TorchMaxPool2D((3, 3), padding: (2, 0)).Code() },
        { "layers.0: maxpool2d ceil_mode is PyTorch's and needs padding \"explicit\" or \"valid\", not \"same\"",
            new ModelBuilder("m", 1, 8, 8).Add(new MaxPool2DSpec(2, Padding.Same) { CeilMode = true }).Code() },
        { "layers.0: avgpool2d with window 3x3, stride 3x3, padding \"valid\" does not fit input [1, 2, 8] (output 0x2)",
            new ModelBuilder("m", 1, 2, 8).AvgPool2D(3).Code() },
        { "layers.0: upsample2d align_corners applies to mode \"bilinear\" only (mode is \"nearest\")",
            new ModelBuilder("m", 1, 8, 8).Add(new UpSample2DSpec(2) { AlignCorners = true }).Code() },
        { "layers.1: avgpool2d expects an image input [C, H, W] per sample, got [64]",
            new ModelBuilder("m", 1, 8, 8).Flatten().AvgPool2D().Code() },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Impossible_spatial_layers_name_the_layer_and_the_numbers(string expected, ModelBuilder builder)
    {
        var spec = builder.Build(ReconstructionLoss.MeanSquaredError);
        using var backend = new CpuBackend("managed");
        var error = Assert.Throws<ModelSpecException>(() => new Network(backend, spec));
        Assert.Contains(expected, error.Message);
    }

    /// <summary>Keras' "same" (kernel 3, stride 2) and PyTorch's padding=1, output_padding=1 give the same size but
    /// crop the full transposed convolution differently: PyTorch's output is Keras' moved up and left by one pixel.</summary>
    [Fact]
    public void Keras_same_and_pytorch_padding_differ_by_one_pixel()
    {
        using var backend = new CpuBackend<double>("managed");
        var input = new Shape(2, 5, 4);
        var keras = new Conv2DTransposeLayer("k", input, new Conv2DTransposeSpec(3, 3, Activation.Linear, Padding.Same, 2));
        var torch = new Conv2DTransposeLayer("t", input,
            new Conv2DTransposeSpec(3, 3, Activation.Linear, Padding.Explicit, 2) { Pad = 1, OutputPadding = 1 });
        Assert.Equal(keras.OutputShape, torch.OutputShape);
        var rng = new System.Random(5);
        var parameters = GradientChecker.RandomArray(rng, 2 * 3 * 9 + 3);
        var x = GradientChecker.RandomArray(rng, input.ElementCount);
        var yk = Run(backend, keras, parameters, x);
        var yt = Run(backend, torch, parameters, x);
        int h = 10, w = 8;
        bool anyDifferent = false;
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                {
                    double t = yt[(c * h + r) * w + q];
                    if (r + 1 < h && q + 1 < w) Assert.Equal(yk[(c * h + r + 1) * w + q + 1], t, 12);
                    anyDifferent |= Math.Abs(t - yk[(c * h + r) * w + q]) > 1e-9;
                }
        Assert.True(anyDifferent, "the two conventions should not agree pixel for pixel");
    }

    private static double[] Run(IBackend backend, Layer layer, double[] parameters, double[] input)
    {
        using var store = new ParameterStore(backend, layer.Parameters);
        backend.Upload(store.Values.All, parameters);
        using var xBuffer = backend.Allocate(input.Length);
        backend.Upload(xBuffer.All, input);
        var g = new GraphBuilder(backend);
        var y = layer.Forward(g, g.External("x", layer.InputShape.WithBatch(1), xBuffer.All), store).Output;
        y.IsOutput = true;
        using var plan = new ExecutionPlan(g);
        plan.Run();
        var result = new double[y.Length];
        backend.Download(plan[y], result);
        return result;
    }
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.Conv2D;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Models;
using GpuAe.Tests.Autodiff;
using GpuAe.Training;

namespace GpuAe.Tests.Layers;

/// <summary>The transposed convolution against a direct (scatter) reference, its output sizes against
/// TensorFlow's, its parameters against Keras and PyTorch, and its place in model specs.</summary>
public class Conv2DTransposeLayerTests
{
    [Theory]
    [InlineData(1, 1, 1, 1, 1, 1, Padding.Same, Activation.Linear, 1)]
    [InlineData(3, 5, 4, 2, 3, 2, Padding.Same, Activation.Relu, 2)]
    [InlineData(2, 4, 5, 3, 3, 2, Padding.Valid, Activation.Sigmoid, 3)]
    [InlineData(5, 3, 3, 7, 2, 2, Padding.Same, Activation.Tanh, 2)]
    [InlineData(1, 3, 2, 2, 2, 3, Padding.Valid, Activation.Linear, 1)]   // kernel < stride: trailing pixels get only the bias
    [InlineData(2, 6, 5, 3, 4, 1, Padding.Same, Activation.Elu, 2)]
    [InlineData(8, 7, 7, 16, 3, 2, Padding.Same, Activation.Relu, 2)]    // the conv-transpose preset's second layer
    public void Forward_equals_the_direct_transposed_convolution(int channels, int height, int width, int filters, int kernel,
        int stride, Padding padding, Activation activation, int batch)
    {
        using var backend = new CpuBackend<double>("managed");
        var layer = new Conv2DTransposeLayer("convT", new Shape(channels, height, width), filters, kernel, stride, padding, activation);
        using var store = new ParameterStore(backend, layer.Parameters);
        var rng = new System.Random(11);
        var parameters = GradientChecker.RandomArray(rng, store.Length);
        backend.Upload(store.Values.All, parameters);
        var input = GradientChecker.RandomArray(rng, (long)batch * channels * height * width);
        using var xBuffer = backend.Allocate(input.Length);
        backend.Upload(xBuffer.All, input);

        var g = new GraphBuilder(backend);
        var x = g.External("x", layer.InputShape.WithBatch(batch), xBuffer.All);
        var y = layer.Forward(g, x, store).Output;
        y.IsOutput = true;
        using var plan = new ExecutionPlan(g);
        plan.Run();
        var actual = new double[y.Length];
        backend.Download(plan[y], actual);

        var entries = store.Entries.ToArray();
        var weight = parameters.AsSpan((int)entries[0].Offset, (int)entries[0].Length).ToArray();
        var bias = parameters.AsSpan((int)entries[1].Offset, (int)entries[1].Length).ToArray();
        var expected = Direct(input, weight, bias, batch, channels, height, width, filters, kernel, stride, padding, activation,
            out int outH, out int outW);
        Assert.Equal($"[{filters}, {outH}, {outW}]", layer.OutputShape.ToString());
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 + 1e-12 * Math.Abs(expected[i]), $"y[{i}]: {actual[i]:R} vs direct {expected[i]:R}");
    }

    /// <summary>y[n, o, iy*s - top + ky, ix*s - left + kx] += x[n, c, iy, ix] * W[c, o, ky, kx] (PyTorch's weight
    /// layout), with TensorFlow's output size and padding written out independently of the layer's code.</summary>
    private static double[] Direct(double[] x, double[] w, double[] b, int batch, int channels, int height, int width, int filters,
        int kernel, int stride, Padding padding, Activation activation, out int outH, out int outW)
    {
        // tf.keras deconv_output_length, and the "before" half of conv2d_backprop_input's SAME padding on that size
        int extra = padding == Padding.Valid ? Math.Max(kernel - stride, 0) : 0;
        outH = height * stride + extra;
        outW = width * stride + extra;
        int before = padding == Padding.Same ? Math.Max(kernel - stride, 0) / 2 : 0;
        var y = new double[batch * filters * outH * outW];
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++)
        for (int iy = 0; iy < height; iy++)
        for (int ix = 0; ix < width; ix++)
        for (int o = 0; o < filters; o++)
        for (int ky = 0; ky < kernel; ky++)
        for (int kx = 0; kx < kernel; kx++)
        {
            int oy = iy * stride - before + ky, ox = ix * stride - before + kx;
            if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
            y[((n * filters + o) * outH + oy) * outW + ox] +=
                x[((n * channels + c) * height + iy) * width + ix] * w[((c * filters + o) * kernel + ky) * kernel + kx];
        }
        for (int i = 0; i < y.Length; i++)
        {
            double z = y[i] + b[i / (outH * outW) % filters];
            y[i] = activation switch
            {
                Activation.Linear => z,
                Activation.Relu => Math.Max(z, 0),
                Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
                Activation.Tanh => Math.Tanh(z),
                Activation.Elu => z > 0 ? z : Math.Exp(z) - 1,
                _ => throw new ArgumentOutOfRangeException(nameof(activation)),
            };
        }
        return y;
    }

    [Theory]
    // (input, kernel, stride, padding, TensorFlow's output): tf.keras.layers.Conv2DTranspose on a [1, H, H, 1] input
    [InlineData(7, 3, 2, Padding.Same, 14)]
    [InlineData(14, 3, 2, Padding.Same, 28)]
    [InlineData(7, 3, 2, Padding.Valid, 15)]
    [InlineData(5, 2, 2, Padding.Valid, 10)]
    [InlineData(5, 2, 3, Padding.Valid, 15)]
    [InlineData(5, 2, 3, Padding.Same, 15)]
    [InlineData(4, 5, 1, Padding.Valid, 8)]
    [InlineData(4, 5, 1, Padding.Same, 4)]
    [InlineData(1, 1, 1, Padding.Same, 1)]
    [InlineData(3, 4, 2, Padding.Same, 6)]
    public void Output_size_matches_tensorflow(int input, int kernel, int stride, Padding padding, int expected)
    {
        var layer = new Conv2DTransposeLayer("t", new Shape(2, input, input + 1), 3, kernel, stride, padding, Activation.Relu);
        int expectedW = (int)PaddingMath.TransposedOutput(padding, input + 1, kernel, stride);
        Assert.Equal(new Shape(3, expected, expectedW), layer.OutputShape);
        // the adjoint: a convolution with the same settings maps the output size back to the input size
        var conv = new Conv2DLayer("c", layer.OutputShape, 2, kernel, stride, padding, Activation.Relu);
        Assert.Equal(new Shape(2, input, input + 1), conv.OutputShape);
    }

    [Fact]
    public void Weight_has_pytorch_layout_and_keras_fans()
    {
        var layer = new Conv2DTransposeLayer("up", new Shape(8, 7, 7), 16, 3, 2, Padding.Same, Activation.Relu);
        var weight = layer.Parameters[0];
        Assert.Equal("up.weight", weight.Name);
        Assert.Equal(new Shape(8, 16, 3, 3), weight.Shape);                    // ConvTranspose2d: [in, out, kH, kW]
        Assert.Equal(new ParameterInit.GlorotUniform(16 * 9, 8 * 9), weight.Init); // Keras: kernel [kH, kW, filters, in]
        Assert.Equal(new Shape(16), layer.Parameters[1].Shape);
    }

    [Theory]
    [InlineData("conv2d_transpose expects an image input [C, H, W] per sample, got [784]")]
    [InlineData("conv2d_transpose needs stride >= 1, got 0")]
    public void Impossible_layers_fail_with_a_clear_message(string expected)
    {
        var spec = expected.Contains("[784]")
            ? new ModelBuilder("m", 1, 28, 28).Flatten().Conv2DTranspose(4, 3, Activation.Relu, stride: 2).Code().Build(ReconstructionLoss.MeanSquaredError)
            : new ModelBuilder("m", 1, 28, 28).Conv2DTranspose(4, 3, Activation.Relu, stride: 0).Code().Build(ReconstructionLoss.MeanSquaredError);
        using var backend = new CpuBackend("managed");
        var error = Assert.Throws<ModelSpecException>(() => new Network(backend, spec));
        Assert.Contains($"layers.{(expected.Contains("[784]") ? 1 : 0)}: {expected}", error.Message);
    }

    [Fact]
    public void Spec_round_trips_through_json()
    {
        var spec = new ModelBuilder("m", 1, 28, 28).Conv2D(4, 3, Activation.Relu, stride: 2).Code()
            .Conv2DTranspose(1, 3, Activation.Sigmoid, Padding.Same, stride: 2).Build(ReconstructionLoss.BinaryCrossEntropy);
        var json = spec.ToJson();
        Assert.Contains("\"type\":\"conv2d_transpose\",\"filters\":1,\"kernel\":3,\"activation\":\"sigmoid\",\"padding\":\"same\",\"stride\":2", json);
        var back = ModelSpec.FromJson(json);
        Assert.Equal(new Conv2DTransposeSpec(1, 3, Activation.Sigmoid, Padding.Same, 2), back.Layers[1]);
        Assert.Contains("convT 1x3x3/2 same sigmoid", back.ToString());
    }

    [Fact]
    public void A_sigmoid_transposed_output_layer_is_folded_into_bce_like_conv2d()
    {
        var spec = new ModelBuilder("m", 1, 28, 28).Conv2D(4, 3, Activation.Relu, stride: 2).Code()
            .Conv2DTranspose(1, 3, Activation.Sigmoid, stride: 2).Build(ReconstructionLoss.BinaryCrossEntropy);
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, spec);
        Assert.Equal(Activation.Sigmoid, network.OutputActivation);
        Assert.Equal(Activation.Linear, Assert.IsType<Conv2DTransposeLayer>(network.Layers[1]).Activation);

        var relu = new ModelBuilder("m", 1, 28, 28).Conv2D(4, 3, Activation.Relu, stride: 2).Code()
            .Conv2DTranspose(1, 3, Activation.Relu, stride: 2).Build(ReconstructionLoss.BinaryCrossEntropy);
        var error = Assert.Throws<ModelSpecException>(() => new Network(backend, relu));
        Assert.Contains("binary cross-entropy needs a sigmoid output layer, the last layer has relu", error.Message);
    }

    [Fact]
    public void Conv_transpose_preset_has_the_tutorial_shapes()
    {
        using var backend = new CpuBackend("managed");
        var preset = Presets.Get("conv-transpose");
        using var network = new Network(backend, preset.Model);
        Assert.Equal(["[16, 14, 14]", "[8, 7, 7]", "[8, 14, 14]", "[16, 28, 28]", "[1, 28, 28]"],
            network.Layers.Select(l => l.OutputShape.ToString()));
        Assert.Equal("[8, 7, 7]", network.CodeShape.ToString());
        // the tutorial's model summaries: encoder 1,320 + decoder 1,897 parameters
        Assert.Equal(1320 + 1897, network.Parameters.Count);
        Assert.Equal(ReconstructionLoss.MeanSquaredError, preset.Model.Loss);
        Assert.Equal(new TrainingRecipe(OptimizerKind.Adam, 1e-3f, 32, 10), preset.Recipe);
    }
}

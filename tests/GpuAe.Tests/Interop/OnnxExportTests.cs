using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Layers;
using GpuAe.Data;
using GpuAe.Interop.Onnx;
using GpuAe.Models;
using GpuAe.Training;
using Microsoft.ML.OnnxRuntime;

namespace GpuAe.Tests.Interop;

/// <summary>Every preset exports to ONNX, and ONNX Runtime (CPU) computes from the exported files what GpuAe's CPU
/// backend computes from the checkpoint: reconstruction, code (a VAE's mean and log σ²) and decoder output.</summary>
public sealed class OnnxExportTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private const int Samples = 5;
    private readonly TempDirectory _dir = new();
    private readonly CpuBackend _backend = new("managed");

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    public static TheoryData<string> PresetNames => new(Presets.Names);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Onnx_runtime_reproduces_gpuae_on_every_exported_graph(string name) => AssertOnnxMatches(Presets.Get(name).Model);

    /// <summary>What no preset has: 'valid' strided convolutions, a transposed convolution with kernel &lt; stride (its
    /// ONNX form needs output_padding) and one with kernel &gt; stride, a 3x3/3 pool, nearest upsampling by 3, every activation.</summary>
    [Fact]
    public void Onnx_runtime_reproduces_valid_padding_odd_strides_and_every_activation()
    {
        var spec = new ModelBuilder("odd", 1, 12, 12)
            .Conv2D(4, 3, Activation.LeakyRelu, Padding.Valid, stride: 2)            // 4 x 5 x 5
            .Conv2DTranspose(3, 2, Activation.Elu, Padding.Valid, stride: 3)         // 3 x 15 x 15
            .Add(new MaxPool2DSpec(3, Padding.Valid)).Code()                         // 3 x 5 x 5
            .Conv2DTranspose(2, 3, Activation.Tanh, Padding.Valid, stride: 2)        // 2 x 11 x 11
            .Conv2D(2, 4, Activation.Softplus, Padding.Same, stride: 3)              // 2 x 4 x 4
            .UpSample2D(3)                                                           // 2 x 12 x 12
            .Conv2D(1, 3, Activation.Linear)                                         // 1 x 12 x 12
            .Build(ReconstructionLoss.MeanSquaredError);
        AssertOnnxMatches(spec);
    }

    private void AssertOnnxMatches(ModelSpec spec)
    {
        string name = spec.Name;
        using var trainer = new Trainer(_backend, spec, Presets.Get("dense32").Recipe, seed: 11);
        RandomizeBiases(trainer);   // the initial biases are zero: nonzero ones check that they are wired in
        string checkpoint = _dir.File("model.safetensors");
        Checkpoint.Save(trainer, checkpoint);
        var written = OnnxExport.Write(checkpoint, _dir.Path);
        Assert.Equal(["model.onnx", "encoder.onnx", "decoder.onnx"], written.Select(Path.GetFileName));

        int[] shape = spec.InputShape;
        var random = new System.Random(5);
        var inputs = Enumerable.Range(0, Samples * shape.Aggregate(1, (a, b) => a * b)).Select(_ => random.NextSingle()).ToArray();
        using var data = new DeviceDataset(_backend, new Dataset("random", inputs, Samples, shape[0], shape[1], shape[2]));
        var codes = trainer.Encode(data, Samples);
        var reconstruction = trainer.Decode(codes);

        var model = Run(_dir.File("model.onnx"), "input", inputs, shape);
        AssertClose(reconstruction, model["reconstruction"], $"{name} model.onnx reconstruction");
        var encoder = Run(_dir.File("encoder.onnx"), "input", inputs, shape);
        bool variational = spec.LossPerImage;
        AssertClose(codes, encoder[variational ? "mean" : "code"], $"{name} encoder.onnx code");
        if (variational) AssertClose(LogVariance(trainer, inputs), encoder["log_var"], $"{name} encoder.onnx log_var");
        var decoder = Run(_dir.File("decoder.onnx"), "code", codes, trainer.Network.CodeShape.ToArray());
        AssertClose(reconstruction, decoder["reconstruction"], $"{name} decoder.onnx reconstruction");
    }

    /// <summary>PyTorch's options: rectangular kernels, per-axis strides, dilation, integer padding, a transposed
    /// convolution with padding and output_padding, pools in ceil mode (a last window dropped as PyTorch drops it, and
    /// overhanging average windows) with both divisors, bilinear upsampling with and without align_corners.</summary>
    [Fact]
    public void Onnx_runtime_reproduces_pytorch_spatial_options()
    {
        var spec = new ModelBuilder("torch-options", 1, 13, 11)
            .TorchConv2D(3, (3, 2), Activation.Relu, stride: (2, 1), padding: (1, 0), dilation: (1, 2))   // 3 x 7 x 9
            .TorchMaxPool2D((2, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)                       // 3 x 4 x 5
            .TorchAvgPool2D((3, 2), stride: (2, 2), padding: (1, 0), ceilMode: true).Code()                // 3 x 3 x 3
            .TorchConv2DTranspose(2, (3, 3), Activation.Tanh, stride: (2, 2), padding: (1, 1), outputPadding: (1, 0)) // 2 x 6 x 5
            .UpSample2DBilinear(2)                                                                          // 2 x 12 x 10
            .TorchAvgPool2D((2, 2), padding: (1, 1), countIncludePad: false)                                // 2 x 7 x 6
            .UpSample2DBilinear(2, alignCorners: true)                                                      // 2 x 14 x 12
            .TorchConv2D(1, (2, 2), Activation.Linear)                                                      // 1 x 13 x 11
            .Build(ReconstructionLoss.MeanSquaredError);
        AssertOnnxMatches(spec);
    }

    /// <summary>Standalone activation layers with their own parameters (softplus with beta and a threshold low enough
    /// that both of its branches are taken), and a BCE-on-probabilities model whose output sigmoid is a layer.</summary>
    [Fact]
    public void Onnx_runtime_reproduces_parameterised_activation_layers()
    {
        var spec = new ModelBuilder("activations", 1, 6, 6)
            .Flatten().Dense(20, Activation.Linear).LeakyRelu(0.3f)
            .Dense(12, Activation.Linear).Elu(0.5f).Code()
            .Dense(20, Activation.Linear).Softplus(2f, 1.5f)
            .Dense(36, Activation.Linear).ActivationLayer(Activation.Sigmoid).Reshape(1, 6, 6)
            .Build(ReconstructionLoss.BinaryCrossEntropyOnProbabilities);
        AssertOnnxMatches(spec);
    }

    [Fact]
    public void Export_names_a_layer_kind_it_cannot_emit()
    {
        var spec = Presets.Get("dense32").Model;
        var broken = spec with { Layers = [.. spec.Layers.Take(1), new FakeLayerSpec(), .. spec.Layers.Skip(1)] };
        var e = Assert.ThrowsAny<Exception>(() => OnnxExport.Build(broken, _ => throw new InvalidOperationException()));
        Assert.IsType<ModelSpecException>(e);
    }

    private sealed record FakeLayerSpec : LayerSpec;

    /// <summary>Runs one graph on ONNX Runtime's CPU provider; all outputs by name.</summary>
    private static Dictionary<string, float[]> Run(string path, string inputName, float[] values, int[] sampleShape)
    {
        using var session = new InferenceSession(path);
        long[] shape = [values.Length / sampleShape.Aggregate(1, (a, b) => a * b), .. sampleShape.Select(d => (long)d)];
        using var input = OrtValue.CreateTensorValueFromMemory(values, shape);
        using var options = new RunOptions();
        var names = session.OutputNames;
        using var outputs = session.Run(options, new Dictionary<string, OrtValue> { [inputName] = input }, names);
        return names.Zip(outputs).ToDictionary(p => p.First, p => p.Second.GetTensorDataAsSpan<float>().ToArray());
    }

    private void RandomizeBiases(Trainer trainer)
    {
        var random = new System.Random(3);
        var store = trainer.Network.Parameters;
        foreach (var entry in store.Entries.Where(e => e.Decl.Name.EndsWith(".bias", StringComparison.Ordinal)))
            _backend.Upload(store.Values.Slice(entry.Offset, entry.Length),
                Enumerable.Range(0, (int)entry.Length).Select(_ => random.NextSingle() * 0.2f - 0.1f).ToArray());
    }

    /// <summary>A VAE's log σ² head computed here in double from the checkpoint's weights (GpuAe exposes only the mean).</summary>
    private float[] LogVariance(Trainer trainer, float[] inputs)
    {
        var store = trainer.Network.Parameters;
        float[] Get(string suffix)
        {
            var entry = store.Entries.Single(e => e.Decl.Name.EndsWith(suffix, StringComparison.Ordinal));
            var values = new float[entry.Length];
            _backend.Download(store.Values.Slice(entry.Offset, entry.Length), values);
            return values;
        }
        // the encoder of the vae presets: flatten, dense relu, then the heads
        float[] w0 = Get("layers.1.weight"), b0 = Get("layers.1.bias"), wv = Get(".log_var.weight"), bv = Get(".log_var.bias");
        int inputsPerSample = inputs.Length / Samples, hidden = b0.Length, latent = bv.Length;
        var result = new float[Samples * latent];
        for (int s = 0; s < Samples; s++)
        {
            var h = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                double sum = b0[j];
                for (int i = 0; i < inputsPerSample; i++) sum += (double)w0[j * inputsPerSample + i] * inputs[s * inputsPerSample + i];
                h[j] = Math.Max(sum, 0);
            }
            for (int k = 0; k < latent; k++)
            {
                double sum = bv[k];
                for (int j = 0; j < hidden; j++) sum += wv[k * hidden + j] * h[j];
                result[s * latent + k] = (float)sum;
            }
        }
        return result;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= Tolerance, $"{what}: max abs difference {worst:g3} > {Tolerance:g}");
    }
}

using GpuAe.Checkpoints;
using GpuAe.IO;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Interop.Onnx;

/// <summary>The three inference graphs of an autoencoder.</summary>
internal sealed record OnnxModels(OnnxModel Model, OnnxModel Encoder, OnnxModel Decoder);

/// <summary>
/// Exports a checkpoint as ONNX (opset <see cref="OnnxModel.Opset"/>) for other engines: <c>model.onnx</c> (input →
/// reconstruction), <c>encoder.onnx</c> (input → code; a VAE's gives "mean" and "log_var") and <c>decoder.onnx</c>
/// (code → reconstruction). Inputs are float32 [batch, ..shape], batch symbolic. Inference only: penalties and the
/// denoiser's input noise are training matters, and a VAE reconstructs from its mean (no sampling).
/// </summary>
public static class OnnxExport
{
    public const string ModelFile = "model.onnx", EncoderFile = "encoder.onnx", DecoderFile = "decoder.onnx";

    /// <summary>The ONNX default-domain opset the files use.</summary>
    public const int Opset = OnnxModel.Opset;

    /// <summary>Writes the three models for the checkpoint <paramref name="checkpointPath"/> into <paramref name="folder"/>
    /// (atomically, each file whole or not at all) and returns their paths.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is malformed; the message names the file and tensor or key.</exception>
    /// <exception cref="ModelSpecException">The model has a layer ONNX export does not cover; the message names it.</exception>
    public static IReadOnlyList<string> Write(string checkpointPath, string folder)
    {
        var saved = Checkpoint.Read(checkpointPath);        // every check of the spec, names and shapes
        var tensors = SafeTensors.Read(checkpointPath);
        var models = Build(saved.Model, name => tensors[name]);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var (file, model) in new[] { (ModelFile, models.Model), (EncoderFile, models.Encoder), (DecoderFile, models.Decoder) })
        {
            string path = Path.Combine(folder, file);
            byte[] bytes = model.ToBytes();
            AtomicFile.Write(path, stream => stream.Write(bytes));
            written.Add(path);
        }
        return written;
    }

    /// <summary>The three graphs of <paramref name="spec"/> with the weights <paramref name="weights"/> returns by checkpoint name.</summary>
    internal static OnnxModels Build(ModelSpec spec, Func<string, NamedTensor> weights)
    {
        Network.Validate(spec);
        var layers = Network.BuildLayers(spec, out _);
        int code = spec.CodeLayer;
        int[] input = spec.InputShape, codeShape = layers[code].OutputShape.ToArray();
        bool variational = spec.Layers[code] is VaeLatentSpec;

        OnnxModel Chain(string graph, string doc, OnnxValue from, int first, int last, string output, bool encoder)
        {
            var g = new OnnxGraphBuilder(weights) { WantSideOutputs = encoder };
            string x = from.Name;
            for (int i = first; i <= last; i++) x = OnnxLayerEmitters.Emit(g, layers[i], spec.Layers[i], x);
            int[] shape = last >= first ? layers[last].OutputShape.ToArray() : from.SampleShape;
            if (!encoder && !shape.SequenceEqual(input))
            {
                x = OnnxLayerEmitters.Reshape(g, "reconstruction.reshape", input, x);
                shape = input;
            }
            var outputs = new List<OnnxValue> { new(g.Output(x, output), shape) };
            outputs.AddRange(g.SideOutputs);
            return g.Build(graph, $"gpuae {graph}: {spec} ({doc})", [from], outputs);
        }

        return new OnnxModels(
            Chain($"{spec.Name}", "input -> reconstruction", new OnnxValue("input", input), 0, layers.Length - 1, "reconstruction", encoder: false),
            Chain($"{spec.Name}_encoder", variational ? "input -> mean, log_var" : "input -> code",
                new OnnxValue("input", input), 0, code, variational ? "mean" : "code", encoder: true),
            Chain($"{spec.Name}_decoder", "code -> reconstruction", new OnnxValue("code", codeShape), code + 1, layers.Length - 1, "reconstruction", encoder: false));
    }
}

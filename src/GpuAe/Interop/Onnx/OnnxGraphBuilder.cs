using GpuAe.Checkpoints;

namespace GpuAe.Interop.Onnx;

/// <summary>
/// Collects the nodes and constants of one ONNX graph while the layer emitters walk the model. Weights become
/// initializers under their checkpoint names (<c>layers.N.weight</c>), so an exported file names the same tensors
/// as the checkpoint it came from.
/// </summary>
internal sealed class OnnxGraphBuilder(Func<string, NamedTensor> weights)
{
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxInitializer> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Extra graph outputs a layer offers (a VAE's log σ² beside its mean), wanted only in the encoder.</summary>
    public bool WantSideOutputs { get; init; }

    public List<OnnxValue> SideOutputs { get; } = [];

    /// <summary>The checkpoint tensor <paramref name="name"/> as an initializer (added once).</summary>
    public string Weight(string name)
    {
        if (_names.Add(name))
        {
            var tensor = weights(name);
            _initializers.Add(new OnnxInitializer(name, tensor.Shape.Select(d => (long)d).ToArray(), Floats: tensor.Data));
        }
        return name;
    }

    public string Constant(string name, params long[] values) => AddInitializer(new OnnxInitializer(name, [values.Length], Longs: values));

    public string Constant(string name, params float[] values) => AddInitializer(new OnnxInitializer(name, [values.Length], Floats: values));

    /// <summary>Appends an <paramref name="opType"/> node whose one output (and node name) is <paramref name="output"/>.</summary>
    public string Add(string opType, string output, string[] inputs, params OnnxAttribute[] attributes)
    {
        Claim(output);
        _nodes.Add(new OnnxNode(opType, output, inputs, [output], attributes));
        return output;
    }

    /// <summary>Makes <paramref name="tensor"/> a graph output called <paramref name="name"/>: renames the node output
    /// that produces it, or copies it (Identity) when nothing produced it (an input passed straight through).</summary>
    public string Output(string tensor, string name)
    {
        if (tensor == name) return name;
        int producer = _nodes.FindIndex(n => n.Outputs.Contains(tensor));
        if (producer < 0) return Add("Identity", name, [tensor]);
        Claim(name);
        string[] Rename(string[] names) => names.Select(n => n == tensor ? name : n).ToArray();
        for (int i = producer; i < _nodes.Count; i++)
            _nodes[i] = _nodes[i] with { Inputs = Rename(_nodes[i].Inputs), Outputs = Rename(_nodes[i].Outputs) };
        return name;
    }

    public OnnxModel Build(string graphName, string doc, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<OnnxValue> outputs) =>
        new(graphName, doc, _nodes.ToArray(), _initializers.ToArray(), inputs, outputs);

    private string AddInitializer(OnnxInitializer initializer)
    {
        Claim(initializer.Name);
        _initializers.Add(initializer);
        return initializer.Name;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"internal error: ONNX tensor name '{name}' used twice");
    }
}

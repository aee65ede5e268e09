using System.Buffers.Binary;

namespace GpuAe.Interop.Onnx;

/// <summary>An attribute of an ONNX node (the kinds the exporter emits).</summary>
internal abstract record OnnxAttribute(string Name)
{
    public sealed record Int(string Name, long Value) : OnnxAttribute(Name);
    public sealed record Float(string Name, float Value) : OnnxAttribute(Name);
    public sealed record Ints(string Name, long[] Values) : OnnxAttribute(Name);
    public sealed record Text(string Name, string Value) : OnnxAttribute(Name);
}

/// <summary>One operator application; an empty input name is an omitted optional input (e.g. Resize's roi).</summary>
internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes);

/// <summary>A constant tensor of the graph: float weights, or int64 values (shapes, scales are float).</summary>
internal sealed record OnnxInitializer(string Name, long[] Dims, float[]? Floats = null, long[]? Longs = null);

/// <summary>A graph input or output: float32 [batch, ..SampleShape], the batch axis symbolic ("batch").</summary>
internal sealed record OnnxValue(string Name, int[] SampleShape);

/// <summary>
/// An ONNX model in memory and its serialisation (ModelProto, IR version 8, default-domain opset 17: what ONNX 1.12
/// and later check and what every ONNX Runtime since 1.12 runs). Field numbers are those of onnx/onnx.proto.
/// </summary>
internal sealed record OnnxModel(string GraphName, string DocString, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxInitializer> Initializers,
    IReadOnlyList<OnnxValue> Inputs, IReadOnlyList<OnnxValue> Outputs)
{
    public const int IrVersion = 8, Opset = 17;
    public const string BatchDimension = "batch";

    // onnx.proto: TensorProto.DataType and AttributeProto.AttributeType values
    private const int FloatType = 1, Int64Type = 7;
    private const int FloatAttribute = 1, IntAttribute = 2, StringAttribute = 3, IntsAttribute = 7;

    public byte[] ToBytes()
    {
        var model = new ProtoWriter();
        model.Int(1, IrVersion);                                   // ir_version
        model.String(2, "gpuae");                                  // producer_name
        model.String(3, typeof(OnnxModel).Assembly.GetName().Version?.ToString() ?? "");   // producer_version
        model.String(6, DocString);                                // doc_string
        model.Message(7, WriteGraph);                              // graph
        model.Message(8, opset =>                                  // opset_import (default domain "")
        {
            opset.String(1, "");
            opset.Int(2, Opset);
        });
        return model.ToArray();
    }

    private void WriteGraph(ProtoWriter graph)
    {
        foreach (var node in Nodes) graph.Message(1, n => WriteNode(n, node));
        graph.String(2, GraphName);
        foreach (var initializer in Initializers) graph.Message(5, t => WriteTensor(t, initializer));
        foreach (var input in Inputs) graph.Message(11, v => WriteValue(v, input));
        foreach (var output in Outputs) graph.Message(12, v => WriteValue(v, output));
    }

    private static void WriteNode(ProtoWriter node, OnnxNode value)
    {
        foreach (string input in value.Inputs) node.String(1, input);
        foreach (string output in value.Outputs) node.String(2, output);
        node.String(3, value.Name);
        node.String(4, value.OpType);
        foreach (var attribute in value.Attributes) node.Message(5, a => WriteAttribute(a, attribute));
    }

    private static void WriteAttribute(ProtoWriter attribute, OnnxAttribute value)
    {
        attribute.String(1, value.Name);
        switch (value)
        {
            case OnnxAttribute.Float f: attribute.Float(2, f.Value); attribute.Int(20, FloatAttribute); break;
            case OnnxAttribute.Int i: attribute.Int(3, i.Value); attribute.Int(20, IntAttribute); break;
            case OnnxAttribute.Text s: attribute.String(4, s.Value); attribute.Int(20, StringAttribute); break;
            case OnnxAttribute.Ints list: attribute.Ints(8, list.Values); attribute.Int(20, IntsAttribute); break;
            default: throw new InvalidOperationException($"internal error: no ONNX encoding for attribute '{value.Name}' ({value.GetType().Name})");
        }
    }

    private static void WriteTensor(ProtoWriter tensor, OnnxInitializer value)
    {
        tensor.Ints(1, value.Dims);
        tensor.Int(2, value.Floats is not null ? FloatType : Int64Type);
        tensor.String(8, value.Name);
        if (value.Floats is not null)
        {
            tensor.RawFloats(9, value.Floats);
            return;
        }
        var bytes = new byte[value.Longs!.Length * 8];
        for (int i = 0; i < value.Longs.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), value.Longs[i]);
        tensor.Bytes(9, bytes);
    }

    private static void WriteValue(ProtoWriter info, OnnxValue value)
    {
        info.String(1, value.Name);
        info.Message(2, type => type.Message(1, tensor =>           // TypeProto.tensor_type
        {
            tensor.Int(1, FloatType);                               // elem_type
            tensor.Message(2, shape =>                              // shape
            {
                shape.Message(1, dim => dim.String(2, BatchDimension));
                foreach (int d in value.SampleShape) shape.Message(1, dim => dim.Int(1, d));
            });
        }));
    }
}

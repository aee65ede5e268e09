using System.Runtime.CompilerServices;
using System.Text.Json;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.AvgPool2D;
using GpuAe.Layers.Conv2D;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Layers.MaxPool2D;
using GpuAe.Layers.UpSample2D;
using GpuAe.Models;
using GpuAe.Tests.OpenCL;
using GpuAe.Training;

namespace GpuAe.Tests.Layers;

/// <summary>
/// The spatial layers against PyTorch 1.13: Fixtures/torch_spatial_oracle.json holds, per case, a layer in the spec's
/// JSON dialect, an input, parameters, an output gradient and PyTorch's forward output and gradients
/// (benchmarks/compare/torch_spatial_oracle.py writes it). The layer runs forward and backward through the real graph
/// on a float32 backend; every value must agree within abs 1e-5 + rel 1e-5·|PyTorch| (sums of at most 60 float32
/// products of O(1) values, rounded in a different order).
/// </summary>
internal static class TorchSpatialOracle
{
    private const double Abs = 1e-5, Rel = 1e-5;

    public static TheoryData<string> CaseNames => new(Cases.Value.Keys);

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(FixturePath()));
        return document.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    private static string FixturePath([CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", "torch_spatial_oracle.json");

    /// <summary>The case's layer spec, read through the model-spec parser (a one-layer model around it).</summary>
    public static LayerSpec ParseLayer(JsonElement layer, int[] sampleShape) =>
        ModelSpec.FromJson($$"""{"name":"oracle","input_shape":[{{string.Join(",", sampleShape)}}],"layers":[{{layer.GetRawText()}}],"loss":"mean_squared_error","code_layer":0}""").Layers[0];

    public static Layer Build(LayerSpec spec, Shape sampleShape) => spec switch
    {
        Conv2DSpec c => new Conv2DLayer("layers.0", sampleShape, c),
        Conv2DTransposeSpec t => new Conv2DTransposeLayer("layers.0", sampleShape, t),
        MaxPool2DSpec p => new MaxPool2DLayer("layers.0", sampleShape, p),
        AvgPool2DSpec p => new AvgPool2DLayer("layers.0", sampleShape, p),
        UpSample2DSpec u => new UpSample2DLayer("layers.0", sampleShape, u),
        _ => throw new InvalidOperationException($"the oracle has no spatial layer of type {spec.GetType().Name}"),
    };

    public static void Check(IBackend backend, string name)
    {
        var c = Cases.Value[name];
        int[] inputShape = c.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int batch = inputShape[0];
        var sampleShape = new Shape(inputShape[1..]);
        var layer = Build(ParseLayer(c.GetProperty("layer"), inputShape[1..]), sampleShape);

        using var store = new ParameterStore(backend, layer.Parameters);
        var entries = store.Entries.ToArray();
        if (entries.Length > 0)
        {
            backend.Upload(store.Values.Slice(entries[0].Offset, entries[0].Length), Floats(c, "weight"));
            backend.Upload(store.Values.Slice(entries[1].Offset, entries[1].Length), Floats(c, "bias"));
        }
        var xValues = Floats(c, "x");
        var dyValues = Floats(c, "dy");
        using var xBuffer = backend.Allocate(xValues.Length);
        using var dyBuffer = backend.Allocate(dyValues.Length);
        backend.Upload(xBuffer.All, xValues);
        backend.Upload(dyBuffer.All, dyValues);

        var g = new GraphBuilder(backend);
        var x = g.External("x", sampleShape.WithBatch(batch), xBuffer.All);
        var output = layer.Forward(g, x, store);
        var y = output.Output;
        Assert.Equal(dyValues.Length, y.Length);
        var dy = g.External("dy", y.Shape, dyBuffer.All);
        var dx = output.Backward!.Invoke(g, dy, needInputGradient: true)!;
        y.IsOutput = true;
        dx.IsOutput = true;
        using var plan = new ExecutionPlan(g);
        plan.Run();

        Compare(name, "y", c, Download(backend, plan[y]));
        Compare(name, "dx", c, Download(backend, plan[dx]));
        if (entries.Length > 0)
        {
            Compare(name, "dweight", c, Download(backend, store.Gradients.Slice(entries[0].Offset, entries[0].Length)));
            Compare(name, "dbias", c, Download(backend, store.Gradients.Slice(entries[1].Offset, entries[1].Length)));
        }
    }

    private static float[] Floats(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static float[] Download(IBackend backend, BufferView view)
    {
        var values = new float[view.Length];
        backend.Download(view, values);
        return values;
    }

    private static void Compare(string name, string what, JsonElement c, float[] actual)
    {
        var expected = Floats(c, what);
        Assert.True(expected.Length == actual.Length, $"{name}: {what} has {actual.Length} values, PyTorch {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]), allowed = Abs + Rel * Math.Abs(expected[i]);
            Assert.True(error <= allowed, $"{name}: {what}[{i}] = {actual[i]:R}, PyTorch {expected[i]:R}, |error| {error:E2} > {allowed:E2}");
        }
    }
}

public class TorchSpatialOracleCpuTests
{
    public static TheoryData<string> Cases => TorchSpatialOracle.CaseNames;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cpu_float32_matches_pytorch(string name)
    {
        using var backend = new CpuBackend();
        TorchSpatialOracle.Check(backend, name);
    }
}

[Collection("OpenCL")]
public sealed class TorchSpatialOracleOpenClTests(OpenClFixture fixture)
{
    public static TheoryData<string> Cases => TorchSpatialOracle.CaseNames;

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void OpenCl_matches_pytorch(string name) => TorchSpatialOracle.Check(fixture.Require(), name);
}

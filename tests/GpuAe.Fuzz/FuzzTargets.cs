using System.Text;
using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Fuzz;

/// <summary>
/// One parser under the fuzzer: <see cref="Parse"/> feeds it the input bytes and touches what it returns;
/// <see cref="DocumentedError"/> is the one exception type bad input may cause, and its message must be one line
/// (starting with <see cref="ErrorsStartWith"/>, the input's name, where the parser takes one). Anything else is a
/// crash. Its seeds live in <c>corpus/&lt;Name&gt;/</c>.
/// </summary>
internal sealed record FuzzTarget(string Name, Type DocumentedError, Action<byte[]> Parse, string? ErrorsStartWith = null)
{
    /// <summary>Runs the parser on <paramref name="input"/>; returns the documented error it threw, or null when the
    /// input parsed. Any other exception propagates (that is the crash the fuzzer looks for).</summary>
    public Exception? Run(byte[] input)
    {
        try
        {
            Parse(input);
            return null;
        }
        catch (Exception e) when (DocumentedError.IsInstanceOfType(e))
        {
            if (e.Message.Contains('\n') || (ErrorsStartWith is not null && !e.Message.StartsWith(ErrorsStartWith, StringComparison.Ordinal)))
                throw new InvalidOperationException($"{Name}: the error message must be one line{(ErrorsStartWith is null ? "" : $" starting with '{ErrorsStartWith}'")}, got: {e.Message}", e);
            return e;
        }
    }
}

/// <summary>The parsers users feed files to. Adding a parser is one line here plus a folder of seeds in corpus/.</summary>
internal static class FuzzTargets
{
    public static readonly FuzzTarget[] All =
    [
        new("safetensors", typeof(InvalidDataException), bytes => Touch(SafeTensors.Read(new MemoryStream(bytes), "in.safetensors")), "in.safetensors: "),
        new("idx", typeof(InvalidDataException), bytes => Touch(IdxReader.Parse(bytes, "in.idx")), "in.idx: "), // plain and gzip seeds
        new("model-spec", typeof(ModelSpecException), bytes => Touch(ModelSpec.FromJson(Encoding.UTF8.GetString(bytes)))),
        new("metrics", typeof(InvalidDataException), bytes => Touch(RunMetrics.Parse(Encoding.UTF8.GetString(bytes), "in.metrics.json")), "in.metrics.json"), // read on --resume
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    // Each Touch uses the parsed result the way the program does next, so a result that only looks valid
    // (a length that lies, a null where the type says none) fails here rather than later in a user's run.

    private static void Touch(SafeTensorFile file)
    {
        foreach (NamedTensor tensor in file.Tensors)
            if (tensor.ElementCount != tensor.Data.LongLength || !file.TryGet(tensor.Name, out _))
                throw new InvalidOperationException($"tensor '{tensor.Name}': shape [{string.Join(",", tensor.Shape)}] does not match its {tensor.Data.Length} values");
        _ = file.Metadata.Count;
    }

    private static void Touch(IdxArray array)
    {
        float[] values = array.ToUnitFloats();
        if (values.LongLength != array.Shape.Aggregate(1L, (n, d) => n * d))
            throw new InvalidOperationException($"IDX shape [{string.Join(",", array.Shape)}] does not match its {values.Length} values");
        if (array.ElementType == IdxElementType.UInt8)
            _ = array.Bytes.Length;
    }

    private static void Touch(RunMetrics metrics)
    {
        int previous = 0;
        foreach (EpochMetrics epoch in metrics.Epochs)
        {
            if (epoch.Epoch <= previous)
                throw new InvalidOperationException($"metrics: epoch {epoch.Epoch} does not follow epoch {previous}");
            previous = epoch.Epoch;
        }
        _ = metrics.Model.Length + metrics.Seed + (metrics.Started?.Year ?? 0);
    }

    private static void Touch(ModelSpec spec)
    {
        Network.Validate(spec);
        _ = spec.ToString();
        ModelSpec again = ModelSpec.FromJson(spec.ToJson());
        if (again.ToJson() != spec.ToJson())
            throw new InvalidOperationException($"model spec does not survive a JSON round trip: {spec.ToJson()} became {again.ToJson()}");
    }
}

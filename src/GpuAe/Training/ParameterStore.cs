using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Random;

namespace GpuAe.Training;

/// <summary>
/// All parameters in one flat device buffer (and the gradients and optimizer state in buffers of the same
/// layout), so one optimizer launch and one fill cover everything (llm.c's layout). Each parameter is a
/// 16-element-aligned slice.
/// </summary>
internal sealed class ParameterStore : IParameterSource, IDisposable
{
    private readonly IBackend _backend;
    private readonly Dictionary<string, Entry> _entries = [];

    internal sealed record Entry(ParameterDecl Decl, long Offset, int Index)
    {
        public long Length => Decl.Shape.ElementCount;
    }

    public ParameterStore(IBackend backend, IEnumerable<ParameterDecl> declarations)
    {
        _backend = backend;
        long offset = 0;
        foreach (var decl in declarations)
        {
            if (_entries.ContainsKey(decl.Name)) throw new ModelSpecException($"two parameters are named {decl.Name}");
            _entries[decl.Name] = new Entry(decl, offset, _entries.Count);
            offset += (decl.Shape.ElementCount + MemoryPlanner.Alignment - 1) / MemoryPlanner.Alignment * MemoryPlanner.Alignment;
        }
        Length = Math.Max(offset, 1);
        Values = backend.Allocate(Length);
        Gradients = backend.Allocate(Length);
        State1 = backend.Allocate(Length);
        State2 = backend.Allocate(Length);
        State3 = backend.Allocate(Length);
        foreach (var buffer in new[] { Values, Gradients, State1, State2, State3 }) backend.Fill(buffer.All, 0f);
    }

    public long Length { get; }
    public long Count => _entries.Values.Sum(e => e.Length);
    public IEnumerable<Entry> Entries => _entries.Values.OrderBy(e => e.Index);
    public DeviceBuffer Values { get; }
    public DeviceBuffer Gradients { get; }
    public DeviceBuffer State1 { get; }
    public DeviceBuffer State2 { get; }
    /// <summary>Centred RMSprop's gradient average (<see cref="OptimizerStep.UsesState3"/>); zeros otherwise.</summary>
    public DeviceBuffer State3 { get; }

    public ParameterTensors Get(GraphBuilder graph, string name)
    {
        var e = _entries[name];
        return new ParameterTensors(
            graph.External(name, e.Decl.Shape, Values.Slice(e.Offset, e.Length)),
            graph.External(name + ".grad", e.Decl.Shape, Gradients.Slice(e.Offset, e.Length)));
    }

    /// <summary>Glorot-uniform weights and zero biases from the Philox stream (seed, parameter index):
    /// the same numbers on every backend and machine.</summary>
    public void Initialize(ulong seed)
    {
        var host = new float[Length];
        foreach (var e in Entries)
        {
            if (e.Decl.Init is not ParameterInit.GlorotUniform glorot) continue;
            float limit = MathF.Sqrt(6f / (glorot.FanIn + glorot.FanOut));
            for (long i = 0; i < e.Length; i++)
                host[e.Offset + i] = (2f * Philox.ToUniform(Philox.Word(seed, (ulong)e.Index << 40, (ulong)i)) - 1f) * limit;
        }
        _backend.Upload(Values.All, host);
        foreach (var buffer in new[] { Gradients, State1, State2, State3 }) _backend.Fill(buffer.All, 0f);
    }

    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
        State1.Dispose();
        State2.Dispose();
        State3.Dispose();
    }
}

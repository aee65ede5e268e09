using GpuAe.Backends;

namespace GpuAe.Graph;

/// <summary>
/// Builds the execution graph of one plan: tensors and the steps (kernel launches) that read and write
/// them, forward steps first and the reverse-mode gradient steps appended after them.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly List<Tensor> _tensors = [];
    private readonly List<Step> _steps = [];

    public GraphBuilder(IBackend backend) => Backend = backend;

    public IBackend Backend { get; }

    /// <summary>When false, steps marked <see cref="StepStream.Side"/> are recorded on the main stream: the
    /// single-stream order (tests compare the two; results must be bit-identical).</summary>
    public bool SideStream { get; init; } = true;
    public IReadOnlyList<Tensor> Tensors => _tensors;
    public IReadOnlyList<Step> Steps => _steps;

    /// <summary>A tensor whose memory the planner places in the arena.</summary>
    public Tensor Planned(string name, Shape shape, ElementType type = ElementType.Real) =>
        AddTensor(name, shape, type, TensorStorage.Planned, null, null);

    /// <summary>A tensor over memory that outlives the plan (parameters, gradients, accumulators).</summary>
    public Tensor External(string name, Shape shape, BufferView view, ElementType type = ElementType.Real)
    {
        if (view.Length != shape.ElementCount)
            throw new ArgumentException($"{name}: view of {view.Length} elements for shape {shape}");
        return AddTensor(name, shape, type, TensorStorage.External, null, view);
    }

    /// <summary>The same memory under another shape with the same element count (reshape/flatten, no copy).</summary>
    public Tensor Alias(Tensor source, Shape shape, string name)
    {
        if (source.Length != shape.ElementCount)
            throw new ArgumentException($"{name}: cannot view {source.Name} {source.Shape} ({source.Length} elements) as {shape} ({shape.ElementCount} elements)");
        return AddTensor(name, shape, source.Type, TensorStorage.Alias, source, null);
    }

    /// <summary>Appends a step. Its reads must already be written by an earlier step (or be external).
    /// <paramref name="stream"/> <see cref="StepStream.Side"/> lets it overlap the main chain (see <see cref="StreamSchedule"/>).</summary>
    public void Add(string name, Tensor[] reads, Tensor[] writes, Func<ITensorResolver, Action> bind, StepStream stream = StepStream.Main) =>
        _steps.Add(new Step(name, reads, writes, bind, SideStream ? stream : StepStream.Main));

    private Tensor AddTensor(string name, Shape shape, ElementType type, TensorStorage storage, Tensor? aliasOf, BufferView? view)
    {
        var tensor = new Tensor(_tensors.Count, name, shape, type, storage, aliasOf, view);
        _tensors.Add(tensor);
        return tensor;
    }
}

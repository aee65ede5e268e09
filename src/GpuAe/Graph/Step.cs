namespace GpuAe.Graph;

/// <summary>Resolves tensors to device views once the plan's memory is laid out.</summary>
internal interface ITensorResolver
{
    Backends.BufferView this[Tensor tensor] { get; }
}

/// <summary>
/// One node of the execution graph: a kernel launch (or a few) with the tensors it reads and writes.
/// <see cref="Bind"/> runs once, after memory planning, and returns the launch with every view resolved,
/// so running a plan allocates nothing.
/// </summary>
internal sealed record Step(string Name, Tensor[] Reads, Tensor[] Writes, Func<ITensorResolver, Action> Bind);

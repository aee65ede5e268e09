namespace GpuAe.Graph;

/// <summary>Resolves tensors to device views once the plan's memory is laid out.</summary>
internal interface ITensorResolver
{
    Backends.BufferView this[Tensor tensor] { get; }
}

/// <summary>
/// Which stream a step may run on. <see cref="Side"/> marks work nothing on the main chain waits for soon
/// (weight and bias gradients: only the optimizer reads them), so a backend with a second stream
/// (<see cref="Backends.IStreamFork"/>) overlaps it with the data-gradient chain. Backends without one run it
/// inline, in list order.
/// </summary>
internal enum StepStream { Main, Side }

/// <summary>
/// One node of the execution graph: a kernel launch (or a few) with the tensors it reads and writes.
/// <see cref="Bind"/> runs once, after memory planning, and returns the launch with every view resolved,
/// so running a plan allocates nothing. Reads and Writes must name all the memory the launch touches:
/// buffer reuse and the fork/join schedule (<see cref="StreamSchedule"/>) are derived from them.
/// </summary>
internal sealed record Step(string Name, Tensor[] Reads, Tensor[] Writes, Func<ITensorResolver, Action> Bind,
    StepStream Stream = StepStream.Main);

using GpuAe.Backends;

namespace GpuAe.Graph;

/// <summary>
/// A built graph with its memory laid out and every launch bound: <see cref="Run"/> replays the program
/// (launches, and on a backend with <see cref="IStreamFork"/> the fork/join points of <see cref="StreamSchedule"/>)
/// with no allocation, no boxing and no host synchronisation.
/// </summary>
internal sealed class ExecutionPlan : IDisposable, ITensorResolver
{
    private readonly Action[] _program;
    private readonly int[] _programSteps;   // step index of each program entry, -1 for stream switches
    private readonly DeviceBuffer? _realArena, _intArena;
    private readonly MemoryPlan _memory;

    public ExecutionPlan(GraphBuilder graph)
    {
        Steps = graph.Steps;
        var fork = graph.Backend as IStreamFork;
        Schedule = StreamSchedule.Build(graph.Steps, twoStreams: fork is not null);
        _memory = MemoryPlanner.Plan(graph.Tensors, graph.Steps, graph.Backend.RealSize, Schedule);
        try
        {
            if (_memory.RealArenaLength > 0) _realArena = graph.Backend.Allocate(_memory.RealArenaLength, ElementType.Real);
            if (_memory.IntArenaLength > 0) _intArena = graph.Backend.Allocate(_memory.IntArenaLength, ElementType.Int32);
        }
        catch (Exception e) when (e is OutOfMemoryException or InsufficientMemoryException)
        {
            // the GPU backends' own message says what was requested and what the device has: keep that part
            var prefix = $"{graph.Backend.Name}: out of device memory: ";
            var detail = e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
            throw new InsufficientMemoryException(
                $"{graph.Backend.Name}: out of device memory for the plan's arena ({Units.Bytes(_memory.PlannedBytes)} planned): {detail}", e);
        }
        var launches = graph.Steps.Select(step => step.Bind(this)).ToArray();
        Action? toSide = fork is null ? null : fork.ForkToSide, toMain = fork is null ? null : fork.BackToMain,
            join = fork is null ? null : fork.JoinSide;
        _program = Schedule.Program.Select(op => op.Kind switch
        {
            PlanOpKind.Launch => launches[op.Step],
            PlanOpKind.Fork => toSide!,
            PlanOpKind.BackToMain => toMain!,
            _ => join!,
        }).ToArray();
        _programSteps = Schedule.Program.Select(op => op.Step).ToArray();
    }

    public IReadOnlyList<Step> Steps { get; }

    /// <summary>Which step runs on which stream, and where the streams fork and join.</summary>
    public StreamSchedule Schedule { get; }

    /// <summary>Bytes of the arena(s) after buffer reuse.</summary>
    public long PlannedBytes => _memory.PlannedBytes;

    /// <summary>Bytes if every planned tensor had its own buffer.</summary>
    public long NaiveBytes => _memory.NaiveBytes;

    internal MemoryPlan Memory => _memory;

    public BufferView this[Tensor tensor]
    {
        get
        {
            var root = tensor.Root;
            switch (root.Storage)
            {
                case TensorStorage.External:
                    return root.External!.Value.Slice(0, tensor.Length);
                case TensorStorage.Planned:
                    if (!_memory.Offsets.TryGetValue(root.Id, out long offset))
                        throw new InvalidOperationException($"tensor {tensor.Name} is not used by any step of the plan");
                    var arena = root.Type == ElementType.Real ? _realArena! : _intArena!;
                    return arena.Slice(offset, tensor.Length);
                default:
                    throw new InvalidOperationException($"tensor {tensor.Name} has no storage");
            }
        }
    }

    public void Run()
    {
        foreach (var op in _program) op();
    }

    /// <summary>Runs the plan once, synchronising after every step, and adds each step's seconds to
    /// <paramref name="seconds"/> (keyed by step name). For profiling only: the syncs serialise the device
    /// (both streams), so side steps are timed alone too.</summary>
    public void RunProfiled(IBackend backend, Dictionary<string, double> seconds)
    {
        for (int i = 0; i < _program.Length; i++)
        {
            int step = _programSteps[i];
            if (step < 0) { _program[i](); continue; }
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            _program[i]();
            backend.Synchronize();
            double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            seconds[Steps[step].Name] = seconds.GetValueOrDefault(Steps[step].Name) + elapsed;
        }
    }

    public void Dispose()
    {
        _realArena?.Dispose();
        _intArena?.Dispose();
    }
}

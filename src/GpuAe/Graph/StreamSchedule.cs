namespace GpuAe.Graph;

/// <summary>What the executor does at one point of a plan: launch a step, or move between the two streams.</summary>
internal enum PlanOpKind
{
    /// <summary>Runs <see cref="PlanOp.Step"/> on the current stream.</summary>
    Launch,
    /// <summary><see cref="Backends.IStreamFork.ForkToSide"/>: the side stream waits for the main stream's current point.</summary>
    Fork,
    /// <summary><see cref="Backends.IStreamFork.BackToMain"/>: the side stream records its point; the main stream goes on without waiting.</summary>
    BackToMain,
    /// <summary><see cref="Backends.IStreamFork.JoinSide"/>: the main stream waits for the side stream's last recorded point.</summary>
    Join,
}

/// <summary>One entry of a plan's program; <see cref="Step"/> is the step index for launches, -1 otherwise.</summary>
internal readonly record struct PlanOp(PlanOpKind Kind, int Step = -1);

/// <summary>
/// The fork/join schedule of a plan on a backend with a side stream. Steps marked <see cref="StepStream.Side"/>
/// run there; everything else stays on the main stream in list order. The fewest synchronisations that keep the
/// single-stream results:
/// <list type="bullet">
/// <item>one fork per contiguous run of side steps (the side stream then sees everything the main stream did
/// before the run), and a <see cref="PlanOpKind.BackToMain"/> after it, without waiting;</item>
/// <item>a join before the first main step that reads memory a pending side step writes, or writes memory a
/// pending side step reads or writes (pending: since the last join) — e.g. the optimizer, which reads every
/// parameter gradient;</item>
/// <item>a join at the end of the plan if side work is still pending, so a run (and a captured step) always
/// ends joined.</item>
/// </list>
/// Dependencies come from the steps' declared tensors: the same planned tensor, or overlapping ranges of the
/// same external buffer. Memory reuse is kept out of the picture by <see cref="MemoryPlanner"/>, which keeps
/// whatever a side step touches alive until its join (<see cref="LiveUntil"/>).
/// </summary>
internal sealed class StreamSchedule
{
    private readonly int[] _liveUntil;

    private StreamSchedule(PlanOp[] program, int[] liveUntil)
    {
        Program = program;
        _liveUntil = liveUntil;
    }

    /// <summary>Launches and stream switches in the order the executor issues them.</summary>
    public IReadOnlyList<PlanOp> Program { get; }

    public int Forks => Program.Count(op => op.Kind == PlanOpKind.Fork);
    public int Joins => Program.Count(op => op.Kind == PlanOpKind.Join);

    /// <summary>The last step that may still run while step <paramref name="step"/> runs: the step itself on the
    /// main stream; for a side step, the last main step before its join.</summary>
    public int LiveUntil(int step) => _liveUntil[step];

    /// <summary>The schedule of <paramref name="steps"/>; with <paramref name="twoStreams"/> false (a backend without
    /// <see cref="Backends.IStreamFork"/>) every step is a plain launch in list order.</summary>
    public static StreamSchedule Build(IReadOnlyList<Step> steps, bool twoStreams)
    {
        var program = new List<PlanOp>(steps.Count + 8);
        var liveUntil = new int[steps.Count];
        for (int i = 0; i < steps.Count; i++) liveUntil[i] = i;
        if (!twoStreams)
        {
            for (int i = 0; i < steps.Count; i++) program.Add(new PlanOp(PlanOpKind.Launch, i));
            return new StreamSchedule([.. program], liveUntil);
        }

        var pendingSteps = new List<int>();
        var pendingReads = new List<Region>();
        var pendingWrites = new List<Region>();
        bool onSide = false;
        void Join(int lastConcurrent)
        {
            program.Add(new PlanOp(PlanOpKind.Join));
            foreach (int s in pendingSteps) liveUntil[s] = lastConcurrent;
            pendingSteps.Clear();
            pendingReads.Clear();
            pendingWrites.Clear();
        }

        for (int i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step.Stream == StepStream.Side)
            {
                if (!onSide) program.Add(new PlanOp(PlanOpKind.Fork));
                onSide = true;
                pendingSteps.Add(i);
                pendingReads.AddRange(step.Reads.Select(Region.Of));
                pendingWrites.AddRange(step.Writes.Select(Region.Of));
            }
            else
            {
                if (onSide) program.Add(new PlanOp(PlanOpKind.BackToMain));
                onSide = false;
                if (pendingSteps.Count > 0 && DependsOnPending(step, pendingReads, pendingWrites)) Join(i - 1);
            }
            program.Add(new PlanOp(PlanOpKind.Launch, i));
        }
        if (onSide) program.Add(new PlanOp(PlanOpKind.BackToMain));
        if (pendingSteps.Count > 0) Join(steps.Count - 1);
        return new StreamSchedule([.. program], liveUntil);
    }

    private static bool DependsOnPending(Step step, List<Region> pendingReads, List<Region> pendingWrites)
    {
        foreach (var read in step.Reads)
            if (Region.Of(read).OverlapsAny(pendingWrites)) return true;            // read after write
        foreach (var write in step.Writes)
        {
            var region = Region.Of(write);
            if (region.OverlapsAny(pendingWrites) || region.OverlapsAny(pendingReads)) return true;   // write after write / read
        }
        return false;
    }

    /// <summary>Logical memory of a tensor: a planned tensor is its own (its bytes are placed later), an external
    /// one a range of its buffer (parameter gradients are slices of one flat buffer the optimizer reads whole).</summary>
    private readonly record struct Region(object Owner, long Start, long End)
    {
        public static Region Of(Tensor tensor)
        {
            var root = tensor.Root;
            if (root.Storage != TensorStorage.External) return new Region(root, 0, 1);
            var view = root.External!.Value;
            return new Region(view.Buffer, view.Offset, view.Offset + tensor.Length);
        }

        public bool OverlapsAny(List<Region> regions)
        {
            foreach (var r in regions)
                if (ReferenceEquals(r.Owner, Owner) && r.Start < End && Start < r.End) return true;
            return false;
        }
    }
}

using GpuAe.Graph;

namespace GpuAe.Tests.Graph;

/// <summary>
/// Test oracle for two-stream plans. Simulates the main and side streams from the plan's program alone (fork:
/// the side stream waits for main's point; back-to-main: the side stream records its point; join: main waits
/// for it) with a vector clock per stream, then reports every pair of launches that touch overlapping bytes,
/// one of them writing, with neither ordered before the other; and side work not joined by the end. It trusts
/// neither the schedule's reasoning nor the planner's lifetimes: only the program and the final addresses.
/// </summary>
internal static class StreamHazardChecker
{
    /// <summary>Bytes a tensor occupies: a range of one buffer (or arena).</summary>
    public readonly record struct Range(object Buffer, long Start, long End)
    {
        public bool Overlaps(Range other) => ReferenceEquals(Buffer, other.Buffer) && Start < other.End && other.Start < End;
    }

    public static List<string> Check(ExecutionPlan plan) =>
        Check(plan.Steps, plan.Schedule.Program, t =>
        {
            var view = plan[t];
            return new Range(view.Buffer, view.Offset, view.Offset + view.Length);
        });

    public static List<string> Check(IReadOnlyList<Step> steps, IReadOnlyList<PlanOp> program, Func<Tensor, Range> where)
    {
        const int Main = 0, Side = 1;
        var clocks = new[] { new int[2], new int[2] };
        int[] sidePoint = new int[2];
        int current = Main;
        var hazards = new List<string>();
        var launches = new List<(int Step, int Stream, int[] Stamp)>();
        foreach (var op in program)
            switch (op.Kind)
            {
                case PlanOpKind.Fork:
                    if (current != Main) hazards.Add("fork while on the side stream");
                    Merge(clocks[Side], clocks[Main]);
                    current = Side;
                    break;
                case PlanOpKind.BackToMain:
                    if (current != Side) hazards.Add("back-to-main while on the main stream");
                    sidePoint = (int[])clocks[Side].Clone();
                    current = Main;
                    break;
                case PlanOpKind.Join:
                    if (current != Main) hazards.Add("join while on the side stream");
                    Merge(clocks[Main], sidePoint);
                    break;
                default:
                    clocks[current][current]++;
                    launches.Add((op.Step, current, (int[])clocks[current].Clone()));
                    break;
            }
        if (current != Main) hazards.Add("the program ends on the side stream");
        if (!launches.Select(l => l.Step).Order().SequenceEqual(Enumerable.Range(0, steps.Count)))
            hazards.Add("the program does not launch every step exactly once");

        static string Name(int stream) => stream == Main ? "main" : "side";
        for (int i = 0; i < launches.Count; i++)
        {
            var a = launches[i];
            if (a.Stream == Side && a.Stamp[Side] > clocks[Main][Side])
                hazards.Add($"{steps[a.Step].Name} (side) is not joined by the end of the plan");
            for (int j = i + 1; j < launches.Count; j++)
            {
                var b = launches[j];
                bool ordered = a.Stamp[a.Stream] <= b.Stamp[a.Stream];
                if (ordered) continue;
                foreach (var clash in Clashes(steps[a.Step], steps[b.Step], where))
                    hazards.Add($"{steps[a.Step].Name} ({Name(a.Stream)}) and {steps[b.Step].Name} ({Name(b.Stream)}) may run together: {clash}");
            }
        }
        return hazards;
    }

    private static IEnumerable<string> Clashes(Step a, Step b, Func<Tensor, Range> where)
    {
        IEnumerable<(Tensor Tensor, bool Write)> Accesses(Step s) => s.Reads.Select(t => (t, false)).Concat(s.Writes.Select(t => (t, true)));
        foreach (var x in Accesses(a))
        foreach (var y in Accesses(b))
            if ((x.Write || y.Write) && where(x.Tensor).Overlaps(where(y.Tensor)))
                yield return $"{(x.Write ? "writes" : "reads")} {x.Tensor.Name} / {(y.Write ? "writes" : "reads")} {y.Tensor.Name}";
    }

    private static void Merge(int[] into, int[] from)
    {
        for (int k = 0; k < into.Length; k++) into[k] = Math.Max(into[k], from[k]);
    }
}

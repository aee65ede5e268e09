using System.Globalization;
using System.Text;
using GpuAe.Training;

namespace GpuAe.Analysis;

/// <summary>The machine's two limits, measured in the same run: the backend's GEMM on a large square SGEMM, and a
/// memory bandwidth (<paramref name="BandwidthSource"/> says which: host triad or device copy).</summary>
internal readonly record struct MachinePeaks(double GemmFlopsPerSecond, string GemmShape, double BytesPerSecond, string BandwidthSource)
{
    /// <summary>The arithmetic intensity (FLOP/byte) where the two roofs meet.</summary>
    public double RidgeIntensity => GemmFlopsPerSecond / BytesPerSecond;
}

/// <summary>One preset's training step: counted work and traffic, and the measured steady-state time per step.</summary>
internal sealed record RooflineRow(string Preset, int Batch, StepFlops Flops, StepTraffic Bytes, double SecondsPerStep, int TimedSteps)
{
    public double FlopsPerSecond => Flops.Total / SecondsPerStep;
    public double BytesPerSecond => Bytes.Total / SecondsPerStep;

    /// <summary>FLOP per byte moved (the x axis of the roofline).</summary>
    public double Intensity => Flops.Total / Bytes.Total;

    /// <summary>The roofline's ceiling at this intensity: min(GEMM peak, intensity · bandwidth).</summary>
    public double Attainable(MachinePeaks peaks) => Math.Min(peaks.GemmFlopsPerSecond, Intensity * peaks.BytesPerSecond);

    /// <summary>Which roof is lower at this intensity.</summary>
    public string Bound(MachinePeaks peaks) => Intensity * peaks.BytesPerSecond < peaks.GemmFlopsPerSecond ? "memory" : "compute";
}

/// <summary>What a report says about where and how it was measured.</summary>
internal sealed record RooflineContext(DateTime Utc, string Machine, string Cpu, string Backend, string Gemm, string LoadAverage,
    string Command, IReadOnlyList<string> Notes);

/// <summary>Counts a trainer's step and writes the roofline report (markdown).</summary>
internal static class Roofline
{
    /// <summary>FLOPs and bytes of one training step of <paramref name="trainer"/> at its batch for
    /// <paramref name="sampleCount"/> samples (the plan is the one its epochs run).</summary>
    public static (StepFlops Flops, StepTraffic Bytes, int Batch) TrainingStep(Trainer trainer, int sampleCount)
    {
        int batch = Math.Min(trainer.Recipe.BatchSize, sampleCount);
        var network = trainer.Network;
        var plan = trainer.TrainingPlan(sampleCount);
        var optimizer = trainer.Recipe.OptimizerStepAt(trainer.Recipe.LearningRate, 1);
        int states = (optimizer.UsesState1 ? 1 : 0) + (optimizer.UsesState2 ? 1 : 0) + (optimizer.UsesState3 ? 1 : 0);
        var store = network.Parameters;
        var flops = RooflineFlops.TrainingStep(network, batch, optimizer.Kind, trainer.Recipe.Noise);
        var bytes = RooflineBytes.Count(plan.Steps, trainer.Backend.RealSize, new OptimizerBuffers(store.Values, store.Length, states));
        return (flops, bytes, batch);
    }

    /// <summary>The table: one row per preset.</summary>
    public static string Table(IReadOnlyList<RooflineRow> rows, MachinePeaks peaks)
    {
        var s = new StringBuilder();
        s.AppendLine("| preset | batch | MFLOP/step | MB/step | FLOP/byte | ms/step | GFLOP/s | GB/s | % GEMM peak | % bandwidth | bound | % of roof |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var r in rows)
            s.AppendLine(Invariant($"| {r.Preset} | {r.Batch} | {r.Flops.Total / 1e6:0.00} | {r.Bytes.Total / 1e6:0.00} | {r.Intensity:0.00} | {r.SecondsPerStep * 1e3:0.000} | {r.FlopsPerSecond / 1e9:0.00} | {r.BytesPerSecond / 1e9:0.00} | {100 * r.FlopsPerSecond / peaks.GemmFlopsPerSecond:0.0} | {100 * r.BytesPerSecond / peaks.BytesPerSecond:0.0} | {r.Bound(peaks)} | {100 * r.FlopsPerSecond / r.Attainable(peaks):0.0} |"));
        return s.ToString();
    }

    /// <summary>The whole report: context, peaks, the table, and what the counts include.</summary>
    public static string Markdown(RooflineContext context, MachinePeaks peaks, IReadOnlyList<RooflineRow> rows)
    {
        var s = new StringBuilder();
        s.AppendLine(Invariant($"# Roofline: one training step per preset, {context.Utc:yyyy-MM-dd HH:mm} UTC"));
        s.AppendLine();
        s.AppendLine($"- machine: {context.Machine}");
        s.AppendLine($"- CPU: {context.Cpu}");
        s.AppendLine($"- backend: {context.Backend}");
        s.AppendLine($"- GEMM provider: {context.Gemm}");
        s.AppendLine($"- load average (1, 5, 15 min): {context.LoadAverage}");
        s.AppendLine($"- command: `{context.Command}`");
        foreach (string note in context.Notes) s.AppendLine($"- note: {note}");
        s.AppendLine();
        s.AppendLine("## Peaks measured in this run");
        s.AppendLine();
        s.AppendLine(Invariant($"- GEMM: {peaks.GemmFlopsPerSecond / 1e9:0.0} GFLOP/s (the backend's own GEMM, best of 5 rounds: {peaks.GemmShape})"));
        s.AppendLine(Invariant($"- memory bandwidth: {peaks.BytesPerSecond / 1e9:0.0} GB/s ({peaks.BandwidthSource})"));
        s.AppendLine(Invariant($"- ridge point: {peaks.RidgeIntensity:0.0} FLOP/byte (below it a step is bound by memory, above it by arithmetic)"));
        s.AppendLine();
        s.AppendLine("## Per preset");
        s.AppendLine();
        s.Append(Table(rows, peaks));
        s.AppendLine();
        s.AppendLine("Columns: ms/step is the mean over the timed epochs (the first epoch is a warm-up and not timed: JIT, thread");
        s.AppendLine("pool, program builds); GFLOP/s and GB/s are the counts below divided by it; % GEMM peak and % bandwidth are");
        s.AppendLine("those rates against the peaks above; bound is the lower roof at the step's intensity, min(GEMM peak,");
        s.AppendLine("intensity x bandwidth); % of roof is the achieved GFLOP/s against that roof.");
        s.AppendLine();
        s.AppendLine("## What the counts include");
        s.AppendLine();
        s.AppendLine("- FLOPs, counted analytically per layer of the built model (`src/GpuAe/Analysis/RooflineFlops.cs`): forward,");
        s.AppendLine("  backward (weight and bias gradients; the input gradient of every layer above the first trainable one),");
        s.AppendLine("  the fused loss and gradient, code penalties, and the optimizer update. A multiply-add is 2 FLOPs;");
        s.AppendLine("  convolutions count every tap, padding included, whatever path runs (im2col + GEMM or direct); im2col,");
        s.AppendLine("  col2im, gathers and copies count 0; exp/log/divide and comparisons count 1; random numbers count 0.");
        s.AppendLine("- Bytes, a lower bound from the compiled plan (`src/GpuAe/Analysis/RooflineBytes.cs`): every step's");
        s.AppendLine("  declared read tensors once and written tensors once (the im2col column matrix included, as the");
        s.AppendLine("  path that ran declares it), plus the optimizer: gradients read, parameters and the state buffers its");
        s.AppendLine("  kind uses read and written. Not included: the data-set rows the batch gather reads, re-reads inside a");
        s.AppendLine("  kernel (GEMM tiles, patches), reads of outputs a kernel accumulates into. Caches can keep small");
        s.AppendLine("  tensors between steps, so for small models the count is an estimate of DRAM traffic, not a bound.");
        s.AppendLine();
        s.AppendLine("| preset | forward MFLOP | backward MFLOP | plan MB | optimizer MB | plan steps | timed steps |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
            s.AppendLine(Invariant($"| {r.Preset} | {r.Flops.Forward / 1e6:0.00} | {r.Flops.Backward / 1e6:0.00} | {r.Bytes.PlanBytes / 1e6:0.00} | {r.Bytes.OptimizerBytes / 1e6:0.00} | {r.Bytes.Steps} | {r.TimedSteps} |"));
        return s.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

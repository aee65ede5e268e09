namespace GpuAe.Backends.Cpu;

/// <summary>
/// Splits independent work items over the thread pool. Each item is computed by exactly one thread
/// in a fixed order, so results never depend on scheduling (determinism).
/// </summary>
internal static class CpuParallel
{
    /// <summary>Runs body(start, end) over [0, count) in chunks of at least <paramref name="grain"/> items.</summary>
    public static void For(int count, int grain, Action<int, int> body)
    {
        int chunks = Math.Min(Environment.ProcessorCount * 4, Math.Max(1, count / Math.Max(1, grain)));
        if (chunks <= 1) { body(0, count); return; }
        try
        {
            Parallel.For(0, chunks, chunk =>
            {
                long start = (long)count * chunk / chunks, end = (long)count * (chunk + 1) / chunks;
                body((int)start, (int)end);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // A kernel's own error (a bad index, say) surfaces as itself, whatever the batch size.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}

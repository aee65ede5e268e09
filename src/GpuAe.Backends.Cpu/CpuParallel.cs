using System.Runtime.ExceptionServices;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// Splits independent work items over the cores. Each item is computed by exactly one thread and the chunk
/// boundaries depend on the item count only, so results never depend on scheduling (determinism).
/// </summary>
/// <remarks>
/// A light fork-join instead of Parallel.For: the caller queues one helper per other core and then claims chunks
/// itself from a shared counter, so it never waits for a helper that has not started yet (on a loaded machine a
/// pool thread can take milliseconds to wake) and it only ever waits for chunks already being computed.
/// Work below two grains runs on the calling thread: a fork costs more than it saves there.
/// </remarks>
internal static class CpuParallel
{
    /// <summary>Chunks per core: enough to balance a core that is preempted, few enough to keep per-chunk cost small.</summary>
    private const int ChunksPerCore = 4;

    /// <summary>Runs body(start, end) over [0, count) in chunks of at least <paramref name="grain"/> items.</summary>
    public static void For(int count, int grain, Action<int, int> body)
    {
        int chunks = Math.Min(Environment.ProcessorCount * ChunksPerCore, Math.Max(1, count / Math.Max(1, grain)));
        if (chunks <= 1) { body(0, count); return; }
        var job = new Job(count, chunks, body);
        int helpers = Math.Min(Environment.ProcessorCount, chunks) - 1;
        for (int i = 0; i < helpers; i++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        job.Execute();
        job.Wait();
    }

    /// <summary>One fork-join: chunks are claimed in increasing order by whichever thread gets there first.</summary>
    private sealed class Job(int count, int chunks, Action<int, int> body) : IThreadPoolWorkItem
    {
        private int _next;
        private int _finished;
        // Spins briefly, then blocks: spinning for a preempted helper on a loaded machine burns the core it needs.
        private readonly ManualResetEventSlim _done = new(false, spinCount: 20);
        private int _failedChunk = int.MaxValue;
        private Exception? _error;

        public void Execute()
        {
            int chunk;
            while ((chunk = Interlocked.Increment(ref _next) - 1) < chunks)
            {
                try
                {
                    long start = (long)count * chunk / chunks, end = (long)count * (chunk + 1) / chunks;
                    body((int)start, (int)end);
                }
                catch (Exception e)
                {
                    // The lowest failing chunk's error wins, whichever thread ran it.
                    lock (this)
                        if (chunk < _failedChunk) (_failedChunk, _error) = (chunk, e);
                }
                if (Interlocked.Increment(ref _finished) == chunks) _done.Set();
            }
        }

        /// <summary>Waits for the chunks other threads claimed (all are running: nothing is left to claim), then
        /// rethrows a kernel's own error (a bad index, say) as itself.</summary>
        public void Wait()
        {
            if (Volatile.Read(ref _finished) < chunks) _done.Wait();
            if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
    }
}

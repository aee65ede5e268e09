using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// Splits independent work items over the cores. Each item is computed by exactly one thread and the chunk
/// boundaries depend on the item count only, so results never depend on scheduling (determinism).
/// </summary>
/// <remarks>
/// A light fork-join instead of Parallel.For: the caller posts the job to one worker per other core and then claims
/// chunks itself from a shared counter, so it never waits for a worker that has not started yet and only ever waits
/// for chunks already being computed. Work below two grains runs on the calling thread: a fork costs more than it
/// saves there.
/// <para>The workers are our own threads, not the thread pool's: a training step is a chain of kernels a few tens of
/// microseconds apart, and a parked pool thread took about as long to wake (on a 2-vCPU VM, measured in
/// benchmarks/cpu-kernels) as the whole kernel, so the caller ran every chunk alone. After a job a worker spins for
/// <see cref="SpinMicroseconds"/> waiting for the next one, then parks; spinning longer would take a core from
/// whatever else runs on the machine.</para>
/// <para>Nested or concurrent calls stay correct: a job a busy worker never picks up is finished by its caller.</para>
/// </remarks>
internal static class CpuParallel
{
    /// <summary>Chunks per core: enough to balance a core that is preempted, few enough to keep per-chunk cost small.</summary>
    private const int ChunksPerCore = 4;

    /// <summary>How long an idle worker keeps polling for the next job before it parks.</summary>
    private const int SpinMicroseconds = 300;

    private static readonly Worker[] Workers = CreateWorkers(Environment.ProcessorCount - 1);

    /// <summary>Runs body(start, end) over [0, count) in chunks of at least <paramref name="grain"/> items.</summary>
    public static void For(int count, int grain, Action<int, int> body)
    {
        int chunks = Math.Min(Environment.ProcessorCount * ChunksPerCore, Math.Max(1, count / Math.Max(1, grain)));
        if (chunks <= 1 || Workers.Length == 0) { body(0, count); return; }
        var job = new Job(count, chunks, body);
        int helpers = Math.Min(Workers.Length, chunks - 1);
        for (int i = 0; i < helpers; i++) Workers[i].Post(job);
        job.Execute(fromBack: false);
        job.Wait();
    }

    private static Worker[] CreateWorkers(int count)
    {
        var workers = new Worker[Math.Max(0, count)];
        for (int i = 0; i < workers.Length; i++) workers[i] = new Worker(i);
        return workers;
    }

    /// <summary>A background thread that runs the chunks of whatever job was posted to it last.</summary>
    private sealed class Worker
    {
        public static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        private Job? _posted;
        private int _parked;
        private readonly SemaphoreSlim _wake = new(0);

        public Worker(int index) =>
            new Thread(Run) { IsBackground = true, Name = $"gpuae-cpu-{index + 1}" }.Start();

        public void Post(Job job)
        {
            Volatile.Write(ref _posted, job);
            // Full fence: either the worker sees the job before it parks, or we see it parked and wake it.
            if (Interlocked.Exchange(ref _parked, 0) == 1) _wake.Release();
        }

        private void Run()
        {
            while (true)
            {
                if (Interlocked.Exchange(ref _posted, null) is { } job) { job.Execute(fromBack: true); continue; }
                long until = Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref _posted) is null && Stopwatch.GetTimestamp() < until) Thread.SpinWait(8);
                if (Volatile.Read(ref _posted) is not null) continue;
                Interlocked.Exchange(ref _parked, 1);
                // A job posted between the last look and the flag is still seen here; an extra wake-up is harmless.
                if (Volatile.Read(ref _posted) is not null) { Interlocked.Exchange(ref _parked, 0); continue; }
                _wake.Wait();
            }
        }
    }

    /// <summary>One fork-join: each chunk is claimed by exactly one thread, whichever gets there first.</summary>
    private sealed class Job(int count, int chunks, Action<int, int> body)
    {
        private long _ends = (long)chunks << 32;
        private int _finished;
        // Set by the last chunk to finish, for a caller that stopped polling (a preempted worker on a loaded machine).
        private readonly ManualResetEventSlim _done = new(false, spinCount: 0);
        private int _failedChunk = int.MaxValue;
        private Exception? _error;

        /// <summary>Claims and runs chunks until none is left: the caller from the front, workers from the back, so
        /// on two cores each thread keeps to one half of the data from kernel to kernel (what it wrote is still in its
        /// own cache when the next kernel reads it).</summary>
        public void Execute(bool fromBack)
        {
            int chunk;
            while ((chunk = Claim(fromBack)) >= 0)
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

        /// <summary>The next unclaimed chunk from one end, or -1. <see cref="_ends"/> packs [front, back) in one long.</summary>
        private int Claim(bool fromBack)
        {
            while (true)
            {
                long ends = Volatile.Read(ref _ends);
                int front = (int)ends, back = (int)(ends >> 32);
                if (front >= back) return -1;
                long next = fromBack ? ((long)(back - 1) << 32) | (uint)front : ((long)back << 32) | (uint)(front + 1);
                if (Interlocked.CompareExchange(ref _ends, next, ends) == ends) return fromBack ? back - 1 : front;
            }
        }

        /// <summary>Waits for the chunks other threads claimed (all are running: nothing is left to claim), then
        /// rethrows a kernel's own error (a bad index, say) as itself. Polls first: a chunk in flight usually ends
        /// within microseconds, sooner than a parked thread wakes.</summary>
        public void Wait()
        {
            long until = Stopwatch.GetTimestamp() + Worker.SpinTicks;
            while (Volatile.Read(ref _finished) < chunks && Stopwatch.GetTimestamp() < until) Thread.SpinWait(8);
            if (Volatile.Read(ref _finished) < chunks) _done.Wait();
            if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
    }
}

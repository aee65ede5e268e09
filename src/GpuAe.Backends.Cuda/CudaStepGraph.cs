namespace GpuAe.Backends.Cuda;

/// <summary>
/// A training step captured into a CUDA graph by <see cref="CudaBackend.CaptureStep"/>. Per epoch the host
/// uploads the step table once (<see cref="BeginEpoch"/>: counter = 0, and the per-step optimizer scalars
/// (<see cref="OptimizerScalars.StepSize"/>, Aux, Decay: the learning rate of the epoch's schedule, Adam's bias corrections,
/// SGD's first-step buffer weight, AdamW's decay) and t per step, formed in double as for an eager step); each <see cref="Replay"/> is one cuGraphLaunch, with no
/// host synchronisation: the graph reads its step's values through the device counter and advances it.
/// </summary>
public sealed unsafe class CudaStepGraph : IStepReplay
{
    private readonly CudaBackend _backend;
    private readonly CudaBackend.StepState _state;
    private nint _exec;
    private int _replays;
    private int _steps;

    internal CudaStepGraph(CudaBackend backend, nint exec, CudaBackend.StepState state)
    {
        _backend = backend;
        _exec = exec;
        _state = state;
    }

    /// <summary>Steps the current epoch's table holds.</summary>
    public int StepsThisEpoch => _steps;
    public int MaxStepsPerEpoch => _state.MaxSteps;

    /// <summary>Uploads the epoch's table: one <see cref="OptimizerStep"/> per step (its LearningRate and Step may change
    /// from step to step and epoch to epoch; the kind and the other hyper-parameters were fixed at capture) and resets the counter.</summary>
    public void BeginEpoch(ReadOnlySpan<OptimizerStep> steps)
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        if (steps.Length > _state.MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps.Length, $"the graph was captured for at most {_state.MaxSteps} steps per epoch");
        _backend.Synchronize();   // the previous epoch's replays read the table
        int floats = 3 * steps.Length;
        float* table = stackalloc float[Math.Min(floats, 3 * 1024)];
        for (int start = 0; start < steps.Length; start += 1024)
        {
            int count = Math.Min(1024, steps.Length - start);
            for (int i = 0; i < count; i++)
            {
                var c = steps[start + i].Scalars();
                table[3 * i] = (float)c.StepSize;
                table[3 * i + 1] = (float)c.Aux;
                table[3 * i + 2] = (float)c.Decay;
            }
            _backend.UploadRaw(_state.Table + (ulong)(3 * start * sizeof(float)), table, 3L * count * sizeof(float));
        }
        int* stepNumbers = stackalloc int[1024];
        for (int start = 0; start < steps.Length; start += 1024)
        {
            int count = Math.Min(1024, steps.Length - start);
            for (int i = 0; i < count; i++) stepNumbers[i] = steps[start + i].Step;
            _backend.UploadRaw(_state.Steps + (ulong)(start * sizeof(int)), stepNumbers, (long)count * sizeof(int));
        }
        int zero = 0;
        _backend.UploadRaw(_state.Counter, &zero, sizeof(int));
        _steps = steps.Length;
        _replays = 0;
    }

    /// <summary>Enqueues one step (cuGraphLaunch on the main stream).</summary>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        if (_replays >= _steps) throw new InvalidOperationException($"the epoch's table has {_steps} steps; call BeginEpoch first");
        _backend.Driver.LaunchGraph(_exec, _backend.MainStream);
        _replays++;
    }

    public void Dispose()
    {
        if (_exec == 0) return;
        _backend.Synchronize();
        _backend.Driver.DestroyGraph(_exec);
        _backend.FreeDevice(_state.Counter);
        _backend.FreeDevice(_state.Table);
        _backend.FreeDevice(_state.Steps);
        _exec = 0;
    }
}

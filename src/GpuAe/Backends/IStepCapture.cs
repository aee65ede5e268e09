namespace GpuAe.Backends;

/// <summary>
/// Optional backend capability: record one whole training step (the plan's launches) once and replay it per
/// step with a single launch (a CUDA graph). Values that change from step to step — the batch's position
/// in the epoch's order and the optimizer's learning rate and bias corrections — must not be baked into
/// the recording: the backend reads them from device memory that <see cref="IStepReplay.BeginEpoch"/> fills.
/// </summary>
public interface IStepCapture
{
    /// <summary>Runs <paramref name="step"/> once under capture (nothing executes) with the batch start at 0.
    /// The recording reads GatherRows' rows at indices.Offset + (step within the epoch) * rows.</summary>
    IStepReplay CaptureStep(Action step, int maxStepsPerEpoch);
}

/// <summary>A captured training step.</summary>
public interface IStepReplay : IDisposable
{
    /// <summary>Sets the epoch's per-step optimizer values (one per step, in order; their Step numbers also drive
    /// <see cref="IBackend.RandomForStep"/>) and rewinds to step 0.</summary>
    void BeginEpoch(ReadOnlySpan<OptimizerStep> steps);

    /// <summary>Enqueues the next step; no host synchronisation.</summary>
    void Replay();
}

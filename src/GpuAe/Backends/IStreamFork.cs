namespace GpuAe.Backends;

/// <summary>
/// Optional backend capability: a second in-order stream beside the main one, ordered against it only by
/// events, so independent work (weight and bias gradients) overlaps the main chain (the data gradients).
/// The executor calls these around the steps marked <see cref="Graph.StepStream.Side"/>
/// (<see cref="Graph.StreamSchedule"/>); backends that run in order (CPU, OpenCL's queue) do not implement it
/// and run those steps inline. Under step capture (<see cref="IStepCapture"/>) the events become graph edges,
/// and the step must end with the side stream joined.
/// </summary>
public interface IStreamFork
{
    /// <summary>Launches after this go to the side stream, which first waits for everything enqueued on the
    /// main stream so far. Call on the main stream.</summary>
    void ForkToSide();

    /// <summary>Records the side stream's current point and sends launches back to the main stream, which does
    /// <b>not</b> wait for it. Call on the side stream.</summary>
    void BackToMain();

    /// <summary>The main stream waits for the side stream's point recorded by the last <see cref="BackToMain"/>
    /// (and so for all side work before it). Call on the main stream.</summary>
    void JoinSide();
}

using GpuAe.Backends;

namespace GpuAe.Training;

/// <summary>
/// Inference from and to device memory (libgpuae's device-buffer calls): samples, codes and results stay on the
/// backend's device and every step is enqueued in order on its queue; nothing is read back and nothing waits. Each call
/// runs the same plans, in the same batches, as its host counterpart (<see cref="Encode"/>, <see cref="Decode"/>,
/// <see cref="Reconstruct"/>): the same bits on the same backend. Views must not overlap each other.
/// </summary>
public sealed partial class Trainer
{
    private readonly Dictionary<int, CompiledPlan> _decodePlans = [];   // by rows: the plans of DecodeOnDevice
    private DeviceBuffer? _decodeCodes;                                  // [batch, code]: what a decode plan reads

    /// <summary>Codes of <paramref name="count"/> clean samples into <paramref name="codes"/> ([count, <see cref="CodeSize"/>]).</summary>
    internal void EncodeOnDevice(BufferView samples, int count, BufferView codes)
    {
        int k = CodeSize;
        Need(codes, (long)count * k, "codes");
        EvaluateOnDevice(samples, count, clean: true, (plan, start, rows) =>
            Backend.Copy(plan.Plan[plan.Code].Slice(0, (long)rows * k), codes.Slice((long)start * k, (long)rows * k)));
    }

    /// <summary>Reconstructions into <paramref name="output"/> ([count, C*H*W]); a denoising model reconstructs its
    /// evaluation-noised inputs, as <see cref="Reconstruct"/> does.</summary>
    internal void ReconstructOnDevice(BufferView samples, int count, BufferView output)
    {
        int size = _network.SampleSize;
        Need(output, (long)count * size, "output");
        EvaluateOnDevice(samples, count, clean: false, (plan, start, rows) =>
            Backend.Copy(plan.Plan[plan.Reconstruction].Slice(0, (long)rows * size), output.Slice((long)start * size, (long)rows * size)));
    }

    /// <summary>
    /// Per sample, the mean squared difference between the clean sample and its reconstruction, as float into
    /// <paramref name="scores"/> ([count]): <see cref="ReconstructionErrors"/> on the device. Each score is one fixed-order
    /// float reduction (a squared-error loss over the sample's values), so it differs from the host call's double sums in
    /// the last bits only. One reduction per sample: a launch or three per sample, fine for scoring batches.
    /// </summary>
    internal void ReconstructionErrorsOnDevice(BufferView samples, int count, BufferView scores)
    {
        int size = _network.SampleSize;
        Need(scores, count, "scores");
        EvaluateOnDevice(samples, count, clean: true, (plan, start, rows) =>
        {
            BufferView reconstruction = plan.Plan[plan.Reconstruction], input = plan.Plan[plan.Input];
            for (int r = 0; r < rows; r++)
                Backend.Loss(LossKind.SquaredError, reconstruction.Slice((long)r * size, size), input.Slice((long)r * size, size),
                    1f / size, scores.Slice(start + r, 1), accumulateLoss: false, gradient: null);
        });
    }

    /// <summary>Decoder outputs of <paramref name="count"/> codes ([count, <see cref="CodeSize"/>]) into
    /// <paramref name="output"/> ([count, C*H*W]): <see cref="Decode"/> on the device. Each batch's codes are copied into
    /// a buffer of the model's, which the cached decode plan of that batch size reads.</summary>
    internal void DecodeOnDevice(BufferView codes, int count, BufferView output)
    {
        int k = CodeSize, size = _network.SampleSize;
        Need(codes, (long)count * k, "codes");
        Need(output, (long)count * size, "output");
        if (count == 0) return;
        _decodeCodes ??= Backend.Allocate((long)Recipe.BatchSize * k);
        for (int start = 0; start < count; start += Recipe.BatchSize)
        {
            int rows = Math.Min(Recipe.BatchSize, count - start);
            var input = _decodeCodes.Slice(0, (long)rows * k);
            if (!_decodePlans.TryGetValue(rows, out var plan)) _decodePlans[rows] = plan = _network.BuildDecodePlan(rows, input);
            Backend.Copy(codes.Slice((long)start * k, (long)rows * k), input);
            plan.Plan.Run();
            Backend.Copy(plan.Plan[plan.Reconstruction].Slice(0, (long)rows * size), output.Slice((long)start * size, (long)rows * size));
        }
    }

    /// <summary>
    /// The evaluation plans over <paramref name="count"/> samples that are already on the device, in order
    /// (<paramref name="samples"/>, [count, C*H*W] row-major): per batch the plan copies its rows from there (a
    /// device-to-device copy into its arena), runs, and <paramref name="after"/> (plan, first sample, rows) enqueues what
    /// it takes from the plan's tensors. <paramref name="clean"/>: a denoising model sees the samples without noise.
    /// </summary>
    private void EvaluateOnDevice(BufferView samples, int count, bool clean, Action<CompiledPlan, int, int> after)
    {
        Need(samples, (long)count * _network.SampleSize, "samples");
        _inputs.Samples = samples;
        _inputs.Noisy = !clean;
        try { RunEvaluationBatches(count, after); }
        finally
        {
            _inputs.Samples = null;
            _inputs.Noisy = true;
        }
    }

    private void Need(BufferView view, long values, string what)
    {
        if (view.Length < values)
            throw new ArgumentException($"{Model.Name}: {what} needs {values} values, the device view holds {view.Length}");
    }

    private void DisposeDevicePlans()
    {
        foreach (var plan in _decodePlans.Values) plan.Dispose();
        _decodePlans.Clear();
        _decodeCodes?.Dispose();
    }
}

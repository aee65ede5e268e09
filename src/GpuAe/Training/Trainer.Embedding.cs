using GpuAe.Backends;
using GpuAe.Models;

namespace GpuAe.Training;

/// <summary>Training driven step by step by a host engine (libgpuae's trainer, native/include/gpuae.h): a step on a batch
/// the caller has on the device, and the same model under another recipe.</summary>
public sealed partial class Trainer
{
    // 0, 1, 2, ...: the gather order of a caller's batch (grown to the largest batch seen).
    private DeviceBuffer? _stepOrder;

    /// <summary>
    /// One optimizer step on the first <paramref name="rows"/> samples of <paramref name="samples"/> ([rows, C*H*W]
    /// row-major on this trainer's backend), in that order; returns the batch's training loss (computed before the update,
    /// as <see cref="TrainEpoch"/> sums it). The step of an epoch on the same samples in the same order gives the same bits.
    /// </summary>
    /// <exception cref="ArgumentException">No rows, or fewer values than the rows need.</exception>
    /// <exception cref="TrainingDivergedException">The loss is NaN or infinite (the step was taken and counted).</exception>
    public double TrainStep(BufferView samples, int rows)
    {
        long needed = (long)rows * _network.SampleSize;
        if (rows <= 0) throw new ArgumentException($"a training step needs at least one sample, got {rows}");
        if (samples.Length < needed)
            throw new ArgumentException($"{rows} samples of {_network.SampleSize} values need {needed} values, the batch holds {samples.Length}");
        var plan = Plan(PlanKind.Train, rows);
        if (_stepOrder is null || _stepOrder.Length < rows)
        {
            _stepOrder?.Dispose();
            _stepOrder = null;
            var order = Backend.Allocate(Math.Max(rows, Recipe.BatchSize), ElementType.Int32);
            _stepOrder = order;
            Backend.Upload(order.All, Enumerable.Range(0, (int)order.Length).ToArray());
        }
        (_inputs.Images, _inputs.Order, _inputs.Start) = (samples.Slice(0, needed), _stepOrder.Slice(0, rows), 0);
        Backend.Fill(_accumulators.Slice(0, TrainLossLanes), 0f);
        Step++;
        plan.Plan.Run();
        float loss = ReadTrainLoss();
        if (!float.IsFinite(loss))
            throw new TrainingDivergedException(
                $"{Model.Name}: training loss became {loss} at step {Step} (learning rate {Recipe.LearningRate}); lower the learning rate or check the data");
        return loss;
    }

    /// <summary>
    /// The same model, seed, weights and epoch count under <paramref name="recipe"/>. The optimizer state and step count
    /// carry over when the optimizer stays the same (they are its moments and its t); another optimizer starts fresh from
    /// step 0, as training from a weights-only checkpoint does. This trainer is left as it was.
    /// </summary>
    /// <exception cref="ArgumentException">The recipe is invalid (as for the constructor).</exception>
    public Trainer WithRecipe(TrainingRecipe recipe)
    {
        var next = new Trainer(Backend, Model, recipe, Seed) { SideStream = SideStream };
        try
        {
            ParameterStore from = _network.Parameters, to = next._network.Parameters;
            Backend.Copy(from.Values.All, to.Values.All);
            bool sameOptimizer = recipe.Optimizer == Recipe.Optimizer;
            if (sameOptimizer)
            {
                Backend.Copy(from.State1.All, to.State1.All);
                Backend.Copy(from.State2.All, to.State2.All);
            }
            next.RestoreCounters(sameOptimizer ? Step : 0, Epoch);
            return next;
        }
        catch
        {
            next.Dispose();
            throw;
        }
    }
}

using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.AvgPool2D;
using GpuAe.Layers.Conv2D;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Layers.Dense;
using GpuAe.Layers.MaxPool2D;
using GpuAe.Layers.Reshape;
using GpuAe.Layers.UpSample2D;
using GpuAe.Layers.VaeLatent;
using GpuAe.Models;

namespace GpuAe.Training;

/// <summary>What a plan computes.</summary>
internal enum PlanKind
{
    /// <summary>gather, forward, fused loss+gradient, backward, one optimizer launch.</summary>
    Train,
    /// <summary>gather, forward, loss and MSE accumulated; reconstruction and code kept for the host.</summary>
    Evaluate,
    /// <summary>Train without the optimizer launch: leaves dL/dθ in the gradient buffer (gradient checks).</summary>
    Gradient,
}

/// <summary>Run-time inputs a plan reads on every run (so the launches themselves never change).</summary>
internal sealed class PlanInputs
{
    /// <summary>Samples [n, C*H*W] on the device and the order batches gather them in: a data set's (<see cref="Use"/>),
    /// or a batch the caller staged on the device with the identity order (<see cref="Trainer.TrainStep"/>).</summary>
    public BufferView Images, Order;
    /// <summary>Samples already on the device in batch order (e.g. a C API caller's buffer for inference): when set,
    /// plans copy rows [Start, Start + batch) from here instead of gathering them through <see cref="Order"/>
    /// (no order to upload, so no host wait on the caller's queue).</summary>
    public BufferView? Samples;
    public int Start;
    /// <summary>Evaluation plans of a denoising model corrupt their input when set (the default), else feed it clean.</summary>
    public bool Noisy = true;

    /// <summary>Philox keys of a VAE's ε: training draws a fresh block per optimizer step
    /// (<see cref="IBackend.RandomForStep"/>); evaluation draws a fixed stream per batch position, so the
    /// validation loss is reproducible and does not depend on how far training has gone.</summary>
    public ulong LatentSeed, EvalLatentSeed;

    public void Use(DeviceDataset data) => (Images, Order) = (data.Images.All, data.Order.All);

    /// <summary>Inputs that gather from <paramref name="data"/> from its first sample.</summary>
    public static PlanInputs Of(DeviceDataset data)
    {
        var inputs = new PlanInputs();
        inputs.Use(data);
        return inputs;
    }
}

/// <summary>
/// Gaussian input noise of a denoising autoencoder: the layers see clamp(x + factor * N(0,1), 0, 1), the loss
/// compares with the clean x. Training steps draw with <see cref="IBackend.RandomForStep"/> (fresh noise per
/// optimizer step <paramref name="Step"/>, CUDA-graph safe); evaluation draws from <paramref name="EvalSeed"/> at
/// the batch's position, so a sample gets the same noise in every evaluation.
/// </summary>
internal sealed record InputNoise(float Factor, ulong Seed, ulong EvalSeed, Func<int> Step);

/// <summary>A compiled plan and the tensors the host reads back (Input: what the layers saw, noisy or clean).</summary>
internal sealed record CompiledPlan(ExecutionPlan Plan, int Batch, Tensor Input, Tensor Reconstruction, Tensor Code) : IDisposable
{
    public void Dispose() => Plan.Dispose();
}

/// <summary>
/// A model instantiated on a backend: layers with inferred shapes, the flat parameter store, and the
/// builder of execution plans. With BCE the sigmoid of the output layer is folded into the loss
/// (BCE on logits, numerically stable) and applied separately only where reconstructions are read.
/// </summary>
internal sealed class Network : IDisposable
{
    public Network(IBackend backend, ModelSpec spec)
    {
        Backend = backend;
        Spec = spec;
        Layers = BuildLayers(spec, out var outputActivation);
        OutputActivation = outputActivation;
        CodePenalties.Validate(spec, Layers);
        Parameters = new ParameterStore(backend, Layers.SelectMany(l => l.Parameters));
    }

    /// <summary>The constructor's checks of <paramref name="spec"/> (layer shapes, code layer, penalties) without a
    /// backend or parameters: what a spec read from a file must pass before anything is allocated for it.</summary>
    /// <returns>The parameters the spec declares, in store order: what a checkpoint of it must hold, known before a
    /// spec that declares billions of values gets a buffer.</returns>
    /// <exception cref="ModelSpecException">The spec cannot be built; the message names the layer.</exception>
    internal static IReadOnlyList<ParameterDecl> Validate(ModelSpec spec)
    {
        var layers = BuildLayers(spec, out _);
        CodePenalties.Validate(spec, layers);
        return layers.SelectMany(l => l.Parameters).ToArray();
    }

    public IBackend Backend { get; }

    /// <summary>Parameter gradients on the side stream where the backend has one (default); false keeps every
    /// step on the main stream, the single-stream order (same results, bit for bit).</summary>
    internal bool SideStream { get; set; } = true;

    public ModelSpec Spec { get; }
    public IReadOnlyList<Layer> Layers { get; }
    public ParameterStore Parameters { get; }

    /// <summary>Applied to the last layer's output to get the reconstruction (sigmoid when fused into BCE).</summary>
    public Activation OutputActivation { get; }
    public Shape InputShape => new(Spec.InputShape);
    public Shape CodeShape => Layers[Spec.CodeLayer].OutputShape;
    public int SampleSize => (int)InputShape.ElementCount;

    public LossKind TrainingLoss => Spec.Loss switch
    {
        ReconstructionLoss.BinaryCrossEntropy => LossKind.BinaryCrossEntropyWithLogits,
        ReconstructionLoss.MeanSquaredError => LossKind.SquaredError,
        ReconstructionLoss.MeanAbsoluteError => LossKind.AbsoluteError,
        ReconstructionLoss.BinaryCrossEntropyOnProbabilities => LossKind.BinaryCrossEntropy,
        _ => throw new ModelSpecException($"{Spec.Name}: unknown loss {Spec.Loss}"),
    };

    /// <summary>The index of the dense layer that reads the batch input first with only views (reshape/flatten) before it,
    /// or -1: that layer gathers the batch on its GEMM's loads (<see cref="DenseLayer.ForwardGathering"/>).</summary>
    private int FirstDenseReadingInput()
    {
        for (int i = 0; i < Layers.Count; i++)
        {
            if (Layers[i] is ReshapeLayer) continue;
            return Layers[i] is DenseLayer ? i : -1;
        }
        return -1;
    }

    /// <summary>
    /// Builds a plan for <paramref name="batch"/> samples per run. Train plans add dL/d(output) scaled to the
    /// batch mean and the backward steps, then <paramref name="optimizerStep"/>; accumulators are
    /// [train-loss lanes..., eval loss, eval MSE] summed over runs until the host reads them: the train loss is the sum of
    /// the lanes (accumulators.Length - 2 of them; the fused loss spreads its reduction over them, see <see cref="IBackend.LossLanes"/>).
    /// </summary>
    public CompiledPlan BuildPlan(PlanKind kind, int batch, PlanInputs inputs, BufferView accumulators, Func<OptimizerStep>? optimizerStep = null,
        InputNoise? noise = null)
    {
        var g = new GraphBuilder(Backend) { SideStream = SideStream };
        var x = g.Planned("input", InputShape.WithBatch(batch));
        int sampleSize = SampleSize;
        var backend = Backend;
        // The batch gather folds into the first dense layer's forward GEMM when x reaches it unchanged (no noise, only
        // views in between): DenseLayer.ForwardGathering writes x itself. Otherwise gather_batch writes it.
        int gatheringLayer = noise is null ? FirstDenseReadingInput() : -1;
        if (gatheringLayer < 0)
            g.Add("gather_batch", [], [x], r =>
            {
                var xv = r[x];
                return () =>
                {
                    if (inputs.Samples is { } samples)
                        backend.Copy(samples.Slice((long)inputs.Start * sampleSize, (long)batch * sampleSize), xv);
                    else
                        backend.GatherRows(inputs.Images, sampleSize, inputs.Order.Slice(inputs.Start, batch), xv);
                };
            });

        // [train-loss lanes (at least one; penalties and KL add to lane 0), eval loss, eval MSE]
        int lanes = checked((int)accumulators.Length) - 2;
        if (lanes < 1) throw new ArgumentException($"plan accumulators need at least 3 elements (train-loss lanes, eval loss, eval MSE), got {accumulators.Length}");
        var trainLoss = g.External("train_loss", new Shape(lanes), accumulators.Slice(0, lanes));
        var evalLoss = g.External("eval_loss", new Shape(1), accumulators.Slice(lanes, 1));
        var evalMse = g.External("eval_mse", new Shape(1), accumulators.Slice(lanes + 1, 1));
        var input = noise is null ? x : Corrupt(g, kind, x, noise, inputs);
        var h = input;
        var rules = new List<BackwardRule?>();
        Tensor? code = null;
        for (int i = 0; i < Layers.Count; i++)
        {
            Tensor? latentMean = null;
            var output = Layers[i] is VaeLatentLayer latent
                ? latent.Forward(g, h, Parameters, Sampling(latent, kind, batch, inputs, optimizerStep, kind == PlanKind.Evaluate ? evalLoss : trainLoss), out latentMean)
                : i == gatheringLayer ? ((DenseLayer)Layers[i]).ForwardGathering(g, h, Parameters, inputs)
                : Layers[i].Forward(g, h, Parameters);
            rules.Add(output.Backward);
            h = output.Output;
            if (i == Spec.CodeLayer) code = latentMean ?? h;
        }
        var prediction = g.Alias(h, x.Shape, "prediction");
        var lossKind = TrainingLoss;

        Tensor reconstruction;
        if (kind is PlanKind.Train or PlanKind.Gradient)
        {
            var dPrediction = g.Planned("prediction.grad", x.Shape);
            float scale = Spec.LossPerImage ? 1f / batch : 1f / ((float)batch * sampleSize);
            g.Add("loss_and_gradient", [prediction, x], [dPrediction, trainLoss], r =>
            {
                BufferView pv = r[prediction], tv = r[x], gv = r[dPrediction], lv = r[trainLoss];
                return () => backend.LossLanes(lossKind, pv, tv, scale, lv, gv);
            });
            if (Spec.Penalties.Count > 0) rules[Spec.CodeLayer] = CodePenalties.Wrap(rules[Spec.CodeLayer]!, this, code!, trainLoss);
            // Gradients flow down to the first layer that has parameters; nothing below it needs dL/dx.
            int firstTrainable = Layers.ToList().FindIndex(l => l.Parameters.Count > 0);
            Tensor? dy = g.Alias(dPrediction, h.Shape, "output.grad");
            for (int i = Layers.Count - 1; i >= Math.Max(firstTrainable, 0) && dy is not null; i--)
                dy = rules[i]?.Invoke(g, dy, needInputGradient: i > firstTrainable);
            if (Spec.Reduction == LossReduction.Sum) SumOverBatch(g, batch);
            if (kind == PlanKind.Train)
            {
                var step = optimizerStep ?? throw new ArgumentNullException(nameof(optimizerStep));
                var store = Parameters;
                // declared whole, so the stream schedule joins every pending gradient before it
                Tensor Whole(string name, DeviceBuffer buffer) => g.External(name, new Shape(checked((int)buffer.Length)), buffer.All);
                var (values, gradients, state1, state2, state3) = (Whole("parameters", store.Values), Whole("gradients", store.Gradients),
                    Whole("optimizer_state1", store.State1), Whole("optimizer_state2", store.State2), Whole("optimizer_state3", store.State3));
                g.Add("optimizer", [gradients], [values, state1, state2, state3], r =>
                {
                    BufferView pv = r[values], gv = r[gradients], s1 = r[state1], s2 = r[state2], s3 = r[state3];
                    return () => backend.OptimizerUpdate(step(), pv, gv, s1, s2, s3);
                });
            }
            reconstruction = prediction;
        }
        else
        {
            // per-sample mean (or sum, for per-image losses); the host divides by the sample count
            float scale = Spec.LossPerImage ? 1f : 1f / sampleSize, mseScale = 1f / sampleSize;
            g.Add("loss", [prediction, x], [evalLoss], r =>
            {
                BufferView pv = r[prediction], tv = r[x], lv = r[evalLoss];
                return () => backend.Loss(lossKind, pv, tv, scale, lv, accumulateLoss: true, null);
            });
            reconstruction = WithOutputActivation(g, prediction);
            var reconView = reconstruction;
            g.Add("mse", [reconView, x], [evalMse], r =>
            {
                BufferView pv = r[reconView], tv = r[x], mv = r[evalMse];
                return () => backend.Loss(LossKind.SquaredError, pv, tv, mseScale, mv, accumulateLoss: true, null);
            });
            reconstruction.IsOutput = true;
            code!.IsOutput = true;
            input.IsOutput = true;
        }
        return new CompiledPlan(new ExecutionPlan(g), batch, input, reconstruction, code!);
    }

    /// <summary>Reduction 'sum': the steps above differentiate the per-image mean (the loss the host reports); the batch's
    /// summed objective has batch times its gradient, so one launch scales the flat gradient buffer.</summary>
    private void SumOverBatch(GraphBuilder g, int batch)
    {
        var gradients = g.External("gradients.sum_reduction", new Shape(checked((int)Parameters.Gradients.Length)), Parameters.Gradients.All);
        var backend = Backend;
        g.Add("sum_reduction", [gradients], [gradients], r =>
        {
            var gv = r[gradients];
            return () => backend.Scale(gv, batch);
        });
    }

    /// <summary>The reconstruction the host reads: <paramref name="prediction"/> with the output activation that BCE
    /// training folds into the loss (the prediction itself when there is none).</summary>
    private Tensor WithOutputActivation(GraphBuilder g, Tensor prediction)
    {
        if (OutputActivation == Activation.Linear) return prediction;
        var reconstruction = g.Planned("reconstruction", prediction.Shape);
        var activation = OutputActivation;
        var backend = Backend;
        g.Add("output_activation", [prediction], [reconstruction], r =>
        {
            BufferView pv = r[prediction], rv = r[reconstruction];
            return () => backend.ActivationForward(activation, ActivationParameters.Default, pv, rv);
        });
        return reconstruction;
    }

    /// <summary>Emits the noisy copy of <paramref name="x"/> the layers read (see <see cref="InputNoise"/>).</summary>
    private Tensor Corrupt(GraphBuilder g, PlanKind kind, Tensor x, InputNoise noise, PlanInputs inputs)
    {
        var noisy = g.Planned("input.noisy", x.Shape);
        var backend = Backend;
        ulong blocksPerSample = (ulong)((SampleSize + 3) / 4);
        bool training = kind != PlanKind.Evaluate;
        g.Add("input_noise", [x], [noisy], r =>
        {
            BufferView xv = r[x], nv = r[noisy];
            return () =>
            {
                if (training) backend.RandomForStep(RandomDistribution.Normal, noise.Seed, noise.Step(), nv);
                else if (inputs.Noisy) backend.Random(RandomDistribution.Normal, noise.EvalSeed, (ulong)inputs.Start * blocksPerSample, nv);
                else
                {
                    backend.Copy(xv, nv);
                    return;
                }
                backend.AddClampedNoise(xv, noise.Factor, nv, 0f, 1f);
            };
        });
        return noisy;
    }

    /// <summary>
    /// ε and the KL term of a VAE latent in a plan. Training (and gradient) plans draw ε from the optimizer step's
    /// block of the stream (so a resumed run and a CUDA-captured step draw the same numbers) and add beta·KL/batch
    /// to the train loss. Evaluation draws ε from a fixed stream at the batch's first sample (sample s reads the
    /// counters from s·⌈units/4⌉: batches never share numbers) and adds beta·KL per sample to the eval loss.
    /// </summary>
    private VaeSampling Sampling(VaeLatentLayer latent, PlanKind kind, int batch, PlanInputs inputs, Func<OptimizerStep>? optimizerStep, Tensor loss)
    {
        var backend = Backend;
        if (kind == PlanKind.Evaluate)
        {
            ulong blocksPerSample = (ulong)(latent.Units + 3) / 4;
            return new VaeSampling(
                eps => backend.Random(RandomDistribution.Normal, inputs.EvalLatentSeed, (ulong)inputs.Start * blocksPerSample, eps),
                loss, latent.Beta, Training: false);
        }
        // Gradient plans (checks) have no optimizer: a fixed step, so every run sees the same ε.
        return new VaeSampling(
            eps => backend.RandomForStep(RandomDistribution.Normal, inputs.LatentSeed, optimizerStep?.Invoke().Step ?? 1, eps),
            loss, latent.Beta / batch, Training: true);
    }

    /// <summary>
    /// A decoder-only plan: codes [batch, code] (external, e.g. a grid over a VAE's latent) through the layers
    /// after the code layer to the reconstruction (output activation applied). Plan.Code is the codes' tensor.
    /// </summary>
    public CompiledPlan BuildDecodePlan(int batch, BufferView codes)
    {
        var g = new GraphBuilder(Backend);
        var z = g.External("codes", CodeShape.WithBatch(batch), codes);
        var h = z;
        for (int i = Spec.CodeLayer + 1; i < Layers.Count; i++) h = Layers[i].Forward(g, h, Parameters).Output;
        var reconstruction = WithOutputActivation(g, g.Alias(h, InputShape.WithBatch(batch), "prediction"));
        reconstruction.IsOutput = true;
        return new CompiledPlan(new ExecutionPlan(g), batch, z, reconstruction, z);
    }

    internal static Layer[] BuildLayers(ModelSpec spec, out Activation outputActivation)
    {
        if (spec.Layers.Count == 0) throw new ModelSpecException($"{spec.Name}: the model has no layers");
        if (spec.CodeLayer < 0 || spec.CodeLayer >= spec.Layers.Count)
            throw new ModelSpecException($"{spec.Name}: code layer {spec.CodeLayer} is not one of the {spec.Layers.Count} layers");
        var shape = SpecShape(spec.Name, "input shape", spec.InputShape);
        var layers = new Layer[spec.Layers.Count];
        int outputLayer = Array.FindLastIndex(spec.Layers.ToArray(), l => l is DenseSpec or Conv2DSpec or Conv2DTransposeSpec or ActivationSpec);
        CheckLoss(spec, outputLayer);
        outputActivation = Activation.Linear;
        for (int i = 0; i < layers.Length; i++)
        {
            string name = $"layers.{i}";
            var layerSpec = spec.Layers[i];
            if (i == outputLayer && spec.Loss == ReconstructionLoss.BinaryCrossEntropy)
                layerSpec = FoldSigmoid(spec, layerSpec, out outputActivation);
            layers[i] = layerSpec switch
            {
                DenseSpec d => new DenseLayer(name, shape, d.Units, d.Activation),
                Conv2DSpec c => new Conv2DLayer(name, shape, c),
                Conv2DTransposeSpec t => new Conv2DTransposeLayer(name, shape, t),
                MaxPool2DSpec p => new MaxPool2DLayer(name, shape, p),
                AvgPool2DSpec p => new AvgPool2DLayer(name, shape, p),
                UpSample2DSpec u => new UpSample2DLayer(name, shape, u),
                FlattenSpec => new ReshapeLayer(name, shape, new Shape((int)shape.ElementCount)),
                ReshapeSpec r => new ReshapeLayer(name, shape, SpecShape(name, "reshape target", r.Shape)),
                VaeLatentSpec v => new VaeLatentLayer(name, shape, v.Units, v.Beta),
                ActivationSpec a => ActivationLayer.FromSpec(name, shape, a),
                _ => throw new ModelSpecException($"{spec.Name}: layer {i} has an unknown type {layerSpec.GetType().Name}"),
            };
            shape = layers[i].OutputShape;
            CheckSampleSize(name, "output", shape);
        }
        CheckVariational(spec);
        if (shape.ElementCount != new Shape(spec.InputShape).ElementCount)
            throw new ModelSpecException(
                $"{spec.Name}: the output {shape} has {shape.ElementCount} values but the input [{string.Join(", ", spec.InputShape)}] has {new Shape(spec.InputShape).ElementCount}; an autoencoder must reconstruct its input");
        return layers;
    }

    /// <summary>A per-sample shape written in the spec (the input, a reshape target): positive dimensions that fit
    /// <see cref="CheckSampleSize"/>.</summary>
    private static Shape SpecShape(string owner, string what, int[] dims)
    {
        if (dims.Length is 0 or > 3 || dims.Any(d => d <= 0))
            throw new ModelSpecException($"{owner}: {what} [{string.Join(", ", dims)}] must have 1 to 3 positive dimensions ([features] or [C, H, W])");
        var shape = new Shape(dims);
        CheckSampleSize(owner, what, shape);
        return shape;
    }

    /// <summary>Tensors are indexed with int, so one sample's values must number at most int.MaxValue.</summary>
    private static void CheckSampleSize(string owner, string what, Shape shape)
    {
        long count = 1;
        foreach (int dim in shape.Dims)
        {
            count *= dim; // each factor is at most int.MaxValue, so this cannot wrap before the check
            if (count > int.MaxValue)
                throw new ModelSpecException($"{owner}: {what} {shape} has more than {int.MaxValue} values per sample");
        }
    }

    /// <summary>A VAE has one Gaussian latent, it is the code (codes are its mean) and a decoder follows it.</summary>
    private static void CheckVariational(ModelSpec spec)
    {
        var latents = Enumerable.Range(0, spec.Layers.Count).Where(i => spec.Layers[i] is VaeLatentSpec).ToArray();
        if (latents.Length == 0) return;
        if (latents.Length > 1)
            throw new ModelSpecException($"{spec.Name}: a model can have one vae_latent layer, found {string.Join(" and ", latents.Select(i => $"layers.{i}"))}");
        int latent = latents[0];
        if (spec.CodeLayer != latent)
            throw new ModelSpecException($"{spec.Name}: the code of a VAE is its latent mean, so the code layer must be the vae_latent layer (layers.{latent}), not layers.{spec.CodeLayer}");
        if (!spec.Layers.Skip(latent + 1).Any(l => l is DenseSpec or Conv2DSpec))
            throw new ModelSpecException($"{spec.Name}: the vae_latent layer (layers.{latent}) needs a decoder after it (a dense or conv2d layer)");
    }

    private static Activation OutputActivationOf(LayerSpec layer) => layer switch
    {
        DenseSpec d => d.Activation, Conv2DSpec c => c.Activation, Conv2DTransposeSpec t => t.Activation, ActivationSpec a => a.Activation,
        _ => Activation.Linear,
    };

    /// <summary>BCE on probabilities needs outputs in [0, 1]: a sigmoid last (pooling, upsampling and reshapes after it keep
    /// the range). PyTorch's BCELoss refuses other inputs when it runs; a kernel cannot, so the spec is refused up front.
    /// A VAE's loss is a sum per image, so it takes no 'mean' reduction.</summary>
    private static void CheckLoss(ModelSpec spec, int outputLayer)
    {
        if (spec.Loss == ReconstructionLoss.BinaryCrossEntropyOnProbabilities)
        {
            var activation = outputLayer < 0 ? Activation.Linear : OutputActivationOf(spec.Layers[outputLayer]);
            if (activation != Activation.Sigmoid)
                throw new ModelSpecException(
                    $"{spec.Name}: binary_cross_entropy_on_probabilities needs outputs in [0, 1] from a sigmoid, the last layer has {ActivationSpec.SnakeCase(activation)} (end with a sigmoid, or use binary_cross_entropy on logits)");
        }
        if (spec.Reduction == LossReduction.Mean && spec.Layers.Any(l => l is VaeLatentSpec))
            throw new ModelSpecException($"{spec.Name}: a VAE's loss is summed over the pixels per image (plus KL); its reduction may be 'sum' or absent, not 'mean'");
    }

    private static LayerSpec FoldSigmoid(ModelSpec spec, LayerSpec layer, out Activation outputActivation)
    {
        var activation = OutputActivationOf(layer);
        if (activation != Activation.Sigmoid)
            throw new ModelSpecException(
                $"{spec.Name}: binary cross-entropy needs a sigmoid output layer, the last layer has {activation.ToString().ToLowerInvariant()}");
        outputActivation = Activation.Sigmoid;
        return layer switch
        {
            DenseSpec d => d with { Activation = Activation.Linear },
            Conv2DSpec c => c with { Activation = Activation.Linear },
            Conv2DTransposeSpec t => t with { Activation = Activation.Linear },
            ActivationSpec a => a with { Activation = Activation.Linear },
            _ => layer,
        };
    }

    public void Dispose() => Parameters.Dispose();
}

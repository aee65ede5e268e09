using GpuAe.Analysis;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Analysis;

/// <summary>The roofline report's counts against hand computation (conventions in <see cref="RooflineFlops"/>).</summary>
public class RooflineTests
{
    [Fact]
    public void Dense_model_flops_match_hand_count()
    {
        // 6 -> 4 relu (code) -> 6 sigmoid, BCE (sigmoid folded into the loss), batch 5, Adam
        var spec = new ModelBuilder("tiny-dense", 6).Dense(4, Activation.Relu).Code().Dense(6, Activation.Sigmoid)
            .Build(ReconstructionLoss.BinaryCrossEntropy);
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, spec);
        var flops = RooflineFlops.TrainingStep(network, batch: 5, OptimizerKind.Adam);

        // layer 0: GEMM 2·5·6·4 = 240, bias 20, relu 20; backward: relu' 20, dW 240, db 20, no dx (first trainable layer)
        Assert.Equal(new FlopTerm("layers.0", 280, 280), Term(flops, "layers.0"));
        // layer 1 (linear after the fold): GEMM 2·5·4·6 = 240, bias 30; backward: dW 240, db 30, dx 240
        Assert.Equal(new FlopTerm("layers.1", 270, 510), Term(flops, "layers.1"));
        Assert.Equal(12.0 * 30, Term(flops, "loss_and_gradient").Forward);       // BCE on logits over 5·6 values
        Assert.Equal(12.0 * (6 * 4 + 4 + 4 * 6 + 6), Term(flops, "optimizer").Backward);   // Adam over 58 parameters
        Assert.Equal(2396, flops.Total);
    }

    [Fact]
    public void Conv_model_with_pool_and_upsample_flops_match_hand_count()
    {
        // [1,4,4] -> conv 2 3x3 same relu -> max-pool 2 (code) -> upsample 2 -> conv 1 3x3 same sigmoid; BCE, batch 3, Adam
        var spec = new ModelBuilder("tiny-conv", 1, 4, 4).Conv2D(2, 3, Activation.Relu).MaxPool2D().Code().UpSample2D()
            .Conv2D(1, 3, Activation.Sigmoid).Build(ReconstructionLoss.BinaryCrossEntropy);
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, spec);
        var flops = RooflineFlops.TrainingStep(network, batch: 3, OptimizerKind.Adam);

        // conv 0: 3·2·4·4 = 96 outputs of 1·3·3 taps: 2·864 = 1728, bias 96, relu 96; backward relu' 96, dW 1728, db 96, no dx
        Assert.Equal(new FlopTerm("layers.0", 1920, 1920), Term(flops, "layers.0"));
        // max-pool: 24 outputs, 4 comparisons each; backward one add per routed gradient
        Assert.Equal(new FlopTerm("layers.1", 96, 24), Term(flops, "layers.1"));
        // nearest upsample: a copy forward; backward sums each 2x2 block: one add per output value (96)
        Assert.Equal(new FlopTerm("layers.2", 0, 96), Term(flops, "layers.2"));
        // conv 3: 48 outputs of 2·3·3 taps: 2·864 = 1728, bias 48 (sigmoid folded); backward dW 1728, db 48, dx 1728
        Assert.Equal(new FlopTerm("layers.3", 1776, 3504), Term(flops, "layers.3"));
        Assert.Equal(12.0 * 48, Term(flops, "loss_and_gradient").Forward);
        Assert.Equal(12.0 * (2 * 9 + 2 + 2 * 9 + 1), Term(flops, "optimizer").Backward);
        Assert.Equal(10380, flops.Total);
    }

    [Fact]
    public void Bytes_count_each_read_and_written_tensor_once_per_step_and_the_optimizer_from_its_buffers()
    {
        using var backend = new CpuBackend("managed");
        using var values = backend.Allocate(10);
        using var gradientBuffer = backend.Allocate(10);
        using var stateBuffer = backend.Allocate(10);
        var g = new GraphBuilder(backend);
        var x = g.Planned("x", new Shape(2, 3));                      // 24 bytes
        var index = g.Planned("index", new Shape(4), ElementType.Int32); // 16 bytes
        var y = g.Planned("y", new Shape(2, 3));
        var yFlat = g.Alias(y, new Shape(6), "y.flat");
        var parameters = g.External("parameters", new Shape(10), values.All);
        var gradients = g.External("gradients", new Shape(10), gradientBuffer.All);
        var state = g.External("state", new Shape(10), stateBuffer.All);
        Func<ITensorResolver, Action> nothing = _ => () => { };
        g.Add("produce", [], [x, index], nothing);         // writes 24 + 16
        g.Add("square", [x, x], [y], nothing);              // x read once: 24, writes 24
        g.Add("in_place", [y, yFlat], [y], nothing);        // y and its alias are one memory: 24 in, 24 out
        g.Add("optimizer", [gradients], [parameters, state], nothing);

        var traffic = RooflineBytes.Count(g.Steps, backend.RealSize, new OptimizerBuffers(values, 10, States: 1));

        Assert.Equal(40 + 48 + 48, traffic.PlanBytes);
        Assert.Equal(4 * 10 * (1 + 2 + 2), traffic.OptimizerBytes);   // gradients in, parameters and one state in and out
        Assert.Equal(4, traffic.Steps);
    }

    [Fact]
    public void A_trainers_step_counts_its_optimizer_once_and_finds_the_plan_traffic()
    {
        using var backend = new CpuBackend("managed");
        var preset = Presets.Get("dense32");
        using var trainer = new Trainer(backend, preset.Model, preset.Recipe, seed: 1);
        var (flops, bytes, batch) = Roofline.TrainingStep(trainer, sampleCount: 1000);

        Assert.Equal(256, batch);
        long length = trainer.Network.Parameters.Length;   // Adam: two state buffers
        Assert.Equal(4.0 * length * (1 + 2 + 2 * 2), bytes.OptimizerBytes);
        // at least the input batch, the output's logits and their gradient, and the weights are each read once
        Assert.True(bytes.PlanBytes > 4.0 * (3 * 256 * 784 + 2 * 784 * 32), $"plan bytes {bytes.PlanBytes}");
        // layers.2 (after the flatten and the code layer): 32 -> 784, forward, dW and dx GEMMs (biases within the tolerance)
        Assert.Equal(2 * 256.0 * 784 * 32 * 3, flops.Terms.Single(t => t.Name == "layers.2").Total, tolerance: 256.0 * 784 * 4);
    }

    [Fact]
    public void Report_table_has_a_row_per_preset_and_names_the_bound()
    {
        var peaks = new MachinePeaks(100e9, "square 2048 sgemm", 10e9, "host triad");
        var flops = new StepFlops([new FlopTerm("layers.0", 3e6, 6e6)]);
        var rows = new[]
        {
            new RooflineRow("low", 8, flops, new StepTraffic(9e6, 0, 3), 1e-3, 10),     // 1 FLOP/byte: memory bound
            new RooflineRow("high", 8, flops, new StepTraffic(0.09e6, 0, 3), 1e-3, 10), // 100 FLOP/byte: compute bound
        };
        Assert.Equal("memory", rows[0].Bound(peaks));
        Assert.Equal(10e9, rows[0].Attainable(peaks));
        Assert.Equal("compute", rows[1].Bound(peaks));
        string table = Roofline.Table(rows, peaks);
        Assert.Contains("| low | 8 | 9.00 | 9.00 | 1.00 | 1.000 | 9.00 | 9.00 | 9.0 | 90.0 | memory | 90.0 |", table);
        Assert.Contains("| high | 8 | 9.00 | 0.09 | 100.00 | 1.000 | 9.00 | 0.09 | 9.0 | 0.9 | compute | 9.0 |", table);
    }

    [Fact]
    public void Triad_bandwidth_is_positive_and_checks_its_result()
    {
        double bytesPerSecond = MemoryBandwidth.Triad(elements: 1 << 16, rounds: 2, threads: 2);
        Assert.True(bytesPerSecond > 0 && double.IsFinite(bytesPerSecond));
    }

    private static FlopTerm Term(StepFlops flops, string name) => flops.Terms.Single(t => t.Name == name);
}

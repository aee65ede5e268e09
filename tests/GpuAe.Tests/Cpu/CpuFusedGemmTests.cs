using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Conformance;

namespace GpuAe.Tests.Cpu;

/// <summary>
/// The CPU references of the fused GEMM forms (<see cref="IBackend.GemmActivationGradient"/>,
/// <see cref="IBackend.GemmGatherRows"/>) are the unfused sequences a dense layer launched before the fusion, bit for
/// bit, so the CPU backend's training results do not change; bad arguments fail with a message naming them.
/// </summary>
public class CpuFusedGemmTests
{
    private readonly CpuBackend _cpu = new("managed");

    private static float[] Values(System.Random random, int length, float low = -1f, float high = 1f)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++) v[i] = low + (high - low) * random.NextSingle();
        return v;
    }

    private DeviceBuffer Upload(float[] values)
    {
        var buffer = _cpu.Allocate(values.Length);
        _cpu.Upload(buffer.All, values);
        return buffer;
    }

    private float[] Download(DeviceBuffer buffer)
    {
        var v = new float[buffer.Length];
        _cpu.Download(buffer.All, v);
        return v;
    }

    public static TheoryData<Activation> Activations() => new(Enum.GetValues<Activation>());

    [Theory]
    [MemberData(nameof(Activations))]
    public void Dense_backward_gemms_give_the_bits_of_the_unfused_launches(Activation activation) =>
        CheckDenseBackward(_cpu, activation, [(1, 1, 1), (7, 13, 5), (33, 17, 61)]);

    /// <summary>On the AVX-512 GEMM the dx GEMM forms dz on its packed panels (shapes it suits: at least 12 x 64);
    /// the dW GEMM, which also sums db, keeps the unfused pass. Both must still give the unfused launches' bits.</summary>
    [SkippableTheory]
    [MemberData(nameof(Activations))]
    public void Dense_backward_gemms_on_the_avx512_gemm_give_the_bits_of_the_unfused_launches(Activation activation)
    {
        Skip.IfNot(OpenBlas.IsAvailable && Avx512Sgemm.IsSupported, "needs OpenBLAS and an AVX-512 CPU");
        using var cpu = new CpuBackend("avx512");
        CheckDenseBackward(cpu, activation, [(100, 37, 130), (256, 64, 784), (12, 5, 64), (40, 300, 70)]);
    }

    private static void CheckDenseBackward(CpuBackend cpu, Activation activation, (int Batch, int Units, int Inputs)[] shapes)
    {
        var random = new System.Random(3 + (int)activation);
        DeviceBuffer Upload(float[] values)
        {
            var buffer = cpu.Allocate(values.Length);
            cpu.Upload(buffer.All, values);
            return buffer;
        }
        float[] Download(DeviceBuffer buffer)
        {
            var v = new float[buffer.Length];
            cpu.Download(buffer.All, v);
            return v;
        }
        foreach (var (batch, units, inputs) in shapes)
        {
            int n = batch * units;
            var x = Values(random, n, -3f, 3f);
            using var y = Upload(x.Select(v => (float)ActivationReference.Forward(activation, ActivationParameters.Default, v)).ToArray());
            using var dy = Upload(Values(random, n));
            using var input = Upload(Values(random, batch * inputs));
            using var w = Upload(Values(random, units * inputs));
            // before: dz and db (activation_backward_bias, or column sums for a linear layer), dW = dzᵀ x, dx = dz W
            using var dz = cpu.Allocate(n);
            using var dbBefore = cpu.Allocate(units);
            using var dwBefore = cpu.Allocate(units * inputs);
            using var dxBefore = cpu.Allocate(batch * inputs);
            if (activation == Activation.Linear)
            {
                cpu.Copy(dy.All, dz.All);
                cpu.BiasGradient(BiasMode.PerColumn, batch, units, dz.All, dbBefore.All, accumulate: false);
            }
            else
                cpu.ActivationBackwardBias(activation, batch, units, y.All, dy.All, dz.All, dbBefore.All);
            cpu.Gemm(Transpose.Yes, Transpose.No, units, inputs, batch, 1f, dz.All, units, input.All, inputs, 0f, dwBefore.All, inputs);
            cpu.Gemm(Transpose.No, Transpose.No, batch, inputs, units, 1f, dz.All, units, w.All, inputs, 0f, dxBefore.All, inputs);
            // after: two fused GEMMs reading dy and y
            using var db = cpu.Allocate(units);
            using var dw = cpu.Allocate(units * inputs);
            using var dx = cpu.Allocate(batch * inputs);
            cpu.GemmActivationGradient(Transpose.Yes, Transpose.No, units, inputs, batch, activation, y.All, dy.All, units, input.All, inputs, dw.All, inputs, db.All);
            cpu.GemmActivationGradient(Transpose.No, Transpose.No, batch, inputs, units, activation, y.All, dy.All, units, w.All, inputs, dx.All, inputs);
            Assert.Equal(Download(dbBefore), Download(db));
            Assert.Equal(Download(dwBefore), Download(dw));
            Assert.Equal(Download(dxBefore), Download(dx));
        }
    }

    [Fact]
    public void Row_sums_of_an_untransposed_operand_sum_each_row_of_dz()
    {
        using var y = Upload([1f, 0f, 2f, 3f, 0f, 5f]);   // relu outputs: a zero blocks its gradient
        using var dy = Upload([1f, 2f, 3f, 4f, 5f, 6f]);
        using var b = Upload([1f, 1f, 1f]);
        using var c = _cpu.Allocate(2);
        using var sums = _cpu.Allocate(2);
        _cpu.GemmActivationGradient(Transpose.No, Transpose.No, 2, 1, 3, Activation.Relu, y.All, dy.All, 3, b.All, 1, c.All, 1, sums.All);
        Assert.Equal([4f, 10f], Download(sums));
        Assert.Equal([4f, 10f], Download(c));
    }

    [Fact]
    public void Gathering_gemm_gives_the_bits_of_gather_then_gemm()
    {
        var random = new System.Random(5);
        int rows = 11, m = 6, n = 9, k = 7;
        using var source = Upload(Values(random, rows * k));
        using var order = _cpu.Allocate(m + 2, ElementType.Int32);
        _cpu.Upload(order.All, [9, 3, 10, 0, 3, 7, 1, 2]);
        using var w = Upload(Values(random, n * k));
        using var bias = Upload(Values(random, n));
        using var xBefore = _cpu.Allocate(m * k);
        using var yBefore = _cpu.Allocate(m * n);
        _cpu.GatherRows(source.All, k, order.Slice(1, m), xBefore.All);
        _cpu.Gemm(Transpose.No, Transpose.Yes, m, n, k, 1f, xBefore.All, k, w.All, k, 0f, yBefore.All, n, BiasMode.PerColumn, bias.All, Activation.Tanh);
        using var x = _cpu.Allocate(m * k);
        using var y = _cpu.Allocate(m * n);
        _cpu.GemmGatherRows(Transpose.Yes, m, n, k, source.All, order.Slice(1, m), x.All, w.All, k, y.All, n, BiasMode.PerColumn, bias.All, Activation.Tanh);
        Assert.Equal(Download(xBefore), Download(x));
        Assert.Equal(Download(yBefore), Download(y));
    }

    [Fact]
    public void Bad_fused_gemm_arguments_name_what_is_wrong()
    {
        using var a = _cpu.Allocate(64);
        using var b = _cpu.Allocate(64);
        using var c = _cpu.Allocate(64);
        using var sums = _cpu.Allocate(8);
        using var order = _cpu.Allocate(8, ElementType.Int32);
        var padded = Assert.Throws<ArgumentException>(() =>
            _cpu.GemmActivationGradient(Transpose.Yes, Transpose.No, 4, 4, 4, Activation.Relu, a.All, a.All, 5, b.All, 4, c.All, 4, sums.All));
        Assert.Contains("row sums need a contiguous dz (lda = 4), got lda = 5", padded.Message);
        var shortY = Assert.Throws<ArgumentException>(() =>
            _cpu.GemmActivationGradient(Transpose.No, Transpose.No, 4, 4, 4, Activation.Sigmoid, a.Slice(0, 8), a.Slice(0, 16), 4, b.All, 4, c.All, 4));
        Assert.Contains("y has 8 elements, dy (same layout) has 16", shortY.Message);
        var fewSums = Assert.Throws<ArgumentException>(() =>
            _cpu.GemmActivationGradient(Transpose.Yes, Transpose.No, 4, 4, 4, Activation.Relu, a.All, a.All, 4, b.All, 4, c.All, 4, sums.Slice(0, 3)));
        Assert.Contains("rowSums has 3 elements, needs m = 4", fewSums.Message);
        var ragged = Assert.Throws<ArgumentException>(() =>
            _cpu.GemmGatherRows(Transpose.Yes, 4, 4, 5, a.Slice(0, 63), order.Slice(0, 4), c.Slice(0, 20), b.All, 5, c.All, 4));
        Assert.Contains("63 elements are not rows of 5", ragged.Message);
        var fewIndices = Assert.Throws<ArgumentException>(() =>
            _cpu.GemmGatherRows(Transpose.Yes, 4, 4, 4, a.All, order.Slice(0, 3), c.Slice(0, 16), b.All, 4, c.All, 4));
        Assert.Contains("needs 4 entries, view has 3", fewIndices.Message);
    }
}

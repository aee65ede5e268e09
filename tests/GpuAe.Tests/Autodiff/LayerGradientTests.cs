using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.Conv2D;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Layers.Dense;
using GpuAe.Layers.MaxPool2D;
using GpuAe.Layers.Reshape;
using GpuAe.Layers.UpSample2D;

namespace GpuAe.Tests.Autodiff;

/// <summary>Every layer's backward rule, gradient-checked in float64 on odd and prime shapes.</summary>
public class LayerGradientTests
{
    public static TheoryData<Activation> Activations => new(Enum.GetValues<Activation>());

    [Theory]
    [MemberData(nameof(Activations))]
    public void Dense_every_activation(Activation activation) =>
        GradientChecker.CheckLayer(s => new DenseLayer("dense", s, 5, activation), new Shape(7), batch: 3);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(13, 1)]
    [InlineData(2, 11)]
    public void Dense_edge_shapes(int inputs, int units) =>
        GradientChecker.CheckLayer(s => new DenseLayer("dense", s, units, Activation.Tanh), new Shape(inputs), batch: 1);

    [Theory]
    [InlineData(1, 5, 5, 3, 3, 1, Padding.Same)]
    [InlineData(2, 7, 6, 4, 3, 1, Padding.Valid)]
    [InlineData(3, 7, 7, 2, 3, 2, Padding.Same)]
    [InlineData(1, 1, 1, 1, 1, 1, Padding.Same)]
    [InlineData(2, 5, 3, 3, 5, 2, Padding.Same)]
    public void Conv2d(int channels, int height, int width, int filters, int kernel, int stride, Padding padding) =>
        GradientChecker.CheckLayer(s => new Conv2DLayer("conv", s, filters, kernel, stride, padding, Activation.Sigmoid),
            new Shape(channels, height, width), batch: 2);

    [Theory]
    [InlineData(1, 3, 4, 3, 3, 2, Padding.Same, Activation.Sigmoid)]
    [InlineData(3, 4, 3, 1, 3, 2, Padding.Valid, Activation.Tanh)]
    [InlineData(2, 5, 3, 5, 2, 2, Padding.Same, Activation.Sigmoid)]
    [InlineData(5, 3, 5, 2, 2, 2, Padding.Valid, Activation.Linear)]
    [InlineData(3, 5, 4, 7, 3, 1, Padding.Same, Activation.Sigmoid)]
    [InlineData(1, 4, 3, 2, 2, 1, Padding.Valid, Activation.Softplus)]
    [InlineData(2, 3, 2, 3, 2, 3, Padding.Valid, Activation.Sigmoid)]   // kernel < stride: pixels no input reaches
    [InlineData(1, 1, 1, 1, 1, 1, Padding.Same, Activation.Sigmoid)]
    public void Conv2d_transpose(int channels, int height, int width, int filters, int kernel, int stride, Padding padding, Activation activation)
    {
        // batch 2 exercises the CNHW swaps and the per-image bias sums; batch 1 the aliased swaps
        GradientChecker.CheckLayer(s => new Conv2DTransposeLayer("convT", s, filters, kernel, stride, padding, activation),
            new Shape(channels, height, width), batch: 2);
        GradientChecker.CheckLayer(s => new Conv2DTransposeLayer("convT", s, filters, kernel, stride, padding, activation),
            new Shape(channels, height, width), batch: 1, seed: 2);
    }

    [Theory]
    [InlineData(2, 6, 6, 2, 2, Padding.Valid)]
    [InlineData(1, 7, 5, 2, 2, Padding.Same)]
    [InlineData(3, 7, 7, 3, 2, Padding.Same)]
    [InlineData(1, 1, 1, 2, 2, Padding.Same)]
    public void MaxPool2d(int channels, int height, int width, int size, int stride, Padding padding) =>
        GradientChecker.CheckLayer(s => new MaxPool2DLayer("pool", s, size, stride, padding), new Shape(channels, height, width), batch: 2);

    [Theory]
    [InlineData(2, 3, 5, 2)]
    [InlineData(1, 1, 1, 3)]
    public void UpSample2d(int channels, int height, int width, int scale) =>
        GradientChecker.CheckLayer(s => new UpSample2DLayer("up", s, scale), new Shape(channels, height, width), batch: 2);

    [Fact]
    public void Reshape_passes_gradients_through() =>
        GradientChecker.CheckLayer(s => new ReshapeLayer("flatten", s, new Shape(30)), new Shape(2, 3, 5), batch: 2);
}

using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.Conv2D;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Tests.Autodiff;

/// <summary>Conv2DLayer on the CPU backend's direct path (forced), gradient-checked in float64 by central differences:
/// unit strides (register-blocked kernels: filter counts on and off the block of four, rectangular kernels, dilation,
/// asymmetric padding) and a non-unit stride (the plain loops); batch 5 spans two of the filter gradient's image groups.</summary>
public class DirectConvGradientTests
{
    private static Conv2DSpec Conv(int filters, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) d, Activation activation) =>
        SpatialGradientTests.Conv(filters, k, s, p, d, activation);

    public static TheoryData<Conv2DSpec, int, int, int> Cases => new()
    {
        { new Conv2DSpec(5, 3, Activation.Sigmoid, Padding.Same, 1), 2, 6, 5 },
        { new Conv2DSpec(4, 3, Activation.Tanh, Padding.Same, 1) { KernelW = 2, Dilation = 2 }, 3, 7, 6 },   // asymmetric "same" padding
        { Conv(1, (5, 3), (1, 1), (2, 0), (1, 2), Activation.Softplus), 3, 7, 8 },
        { Conv(3, (1, 1), (1, 1), (0, 0), (1, 1), Activation.Linear), 2, 4, 3 },
        { new Conv2DSpec(2, 3, Activation.Elu, Padding.Valid, 1), 1, 5, 5 },
        { Conv(3, (3, 2), (2, 1), (1, 0), (1, 2), Activation.Sigmoid), 2, 7, 6 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_direct_path(Conv2DSpec spec, int channels, int height, int width) =>
        GradientChecker.CheckLayer(s => new Conv2DLayer("conv", s, spec), new Shape(channels, height, width), batch: 5, convolution: "direct");

    [Theory]
    [InlineData("direct", "conv.conv", "conv.im2col")]
    [InlineData("im2col", "conv.im2col", "conv.conv")]
    public void Layer_takes_the_path_the_backend_prefers(string path, string present, string absent)
    {
        using var backend = new CpuBackend<double>("managed", path);
        var layer = new Conv2DLayer("conv", new Shape(2, 6, 5), new Conv2DSpec(3, 3, Activation.Relu, Padding.Same, 1));
        using var store = new ParameterStore(backend, layer.Parameters);
        var graph = new GraphBuilder(backend);
        using var x = backend.Allocate(2 * 2 * 6 * 5);
        var output = layer.Forward(graph, graph.External("x", new Shape(2, 2, 6, 5), x.All), store);
        output.Backward!.Invoke(graph, graph.Planned("dy", output.Output.Shape), needInputGradient: true);
        var names = graph.Steps.Select(step => step.Name).ToList();
        Assert.Contains(present, names);
        Assert.DoesNotContain(absent, names);
    }
}

using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Layers;
using GpuAe.Layers.AvgPool2D;
using GpuAe.Layers.Conv2D;
using GpuAe.Layers.Conv2DTranspose;
using GpuAe.Layers.MaxPool2D;
using GpuAe.Layers.UpSample2D;
using GpuAe.Models;

namespace GpuAe.Tests.Autodiff;

/// <summary>The spatial layers' PyTorch options (issue #11), gradient-checked in float64 on odd and prime shapes:
/// rectangular kernels, per-axis strides and dilations, explicit padding, output_padding, ceil mode, both average
/// divisors, bilinear upsampling with and without align_corners.</summary>
public class SpatialGradientTests
{
    internal static Conv2DSpec Conv(int filters, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) d, Activation activation) =>
        new(filters, k.H, activation, Padding.Explicit, s.H) { KernelW = k.W, StrideW = s.W, Pad = p.H, PadW = p.W, Dilation = d.H, DilationW = d.W };

    public static TheoryData<Conv2DSpec, int, int, int> ConvCases => new()
    {
        { Conv(3, (3, 2), (2, 1), (1, 0), (1, 2), Activation.Sigmoid), 2, 7, 6 },
        { Conv(2, (2, 3), (3, 2), (1, 1), (1, 1), Activation.Tanh), 3, 11, 7 },
        { Conv(2, (3, 3), (1, 1), (2, 2), (2, 2), Activation.Linear), 1, 5, 5 },
        { new Conv2DSpec(2, 3, Activation.Sigmoid, Padding.Same, 1) { Dilation = 2, KernelW = 2 }, 2, 5, 7 },
        { Conv(1, (1, 1), (2, 3), (0, 0), (1, 1), Activation.Linear), 2, 5, 7 },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_pytorch_options(Conv2DSpec spec, int channels, int height, int width) =>
        GradientChecker.CheckLayer(s => new Conv2DLayer("conv", s, spec), new Shape(channels, height, width), batch: 2);

    private static Conv2DTransposeSpec Transpose(int filters, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) op,
        (int H, int W) d, Activation activation) =>
        new(filters, k.H, activation, Padding.Explicit, s.H)
        {
            KernelW = k.W, StrideW = s.W, Pad = p.H, PadW = p.W, OutputPadding = op.H, OutputPaddingW = op.W, Dilation = d.H, DilationW = d.W,
        };

    public static TheoryData<Conv2DTransposeSpec, int, int, int> TransposeCases => new()
    {
        { Transpose(2, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), Activation.Sigmoid), 3, 4, 3 },
        { Transpose(3, (2, 4), (3, 2), (0, 1), (2, 1), (1, 2), Activation.Tanh), 2, 3, 4 },
        { Transpose(2, (3, 3), (1, 1), (2, 2), (1, 1), (2, 2), Activation.Linear), 1, 6, 5 },  // output_padding >= stride (< dilation)
        { Transpose(1, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), Activation.Sigmoid), 2, 3, 2 },
        { Transpose(2, (1, 1), (1, 1), (0, 0), (0, 0), (1, 1), Activation.Softplus), 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(TransposeCases))]
    public void Conv2d_transpose_pytorch_options(Conv2DTransposeSpec spec, int channels, int height, int width)
    {
        GradientChecker.CheckLayer(s => new Conv2DTransposeLayer("convT", s, spec), new Shape(channels, height, width), batch: 2);
        GradientChecker.CheckLayer(s => new Conv2DTransposeLayer("convT", s, spec), new Shape(channels, height, width), batch: 1, seed: 2);
    }

    public static TheoryData<(int H, int W), (int H, int W), (int H, int W), bool, int, int> PoolCases => new()
    {
        { (3, 3), (2, 2), (1, 1), true, 8, 7 },   // ceil: the last window hangs over the padding
        { (2, 3), (2, 3), (0, 0), true, 7, 11 },  // ceil without padding: over the input's edge
        { (2, 2), (2, 2), (1, 1), true, 5, 5 },   // ceil drops the window that would start in the padding
        { (3, 2), (1, 2), (1, 1), false, 4, 7 },
        { (1, 1), (1, 1), (0, 0), true, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void MaxPool2d_pytorch_options((int H, int W) k, (int H, int W) s, (int H, int W) p, bool ceil, int height, int width) =>
        GradientChecker.CheckLayer(sh => new MaxPool2DLayer("pool", sh,
            new MaxPool2DSpec(k.H, Padding.Explicit, s.H) { SizeW = k.W, StrideW = s.W, Pad = p.H, PadW = p.W, CeilMode = ceil }),
            new Shape(2, height, width), batch: 2);

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void AvgPool2d_both_divisors((int H, int W) k, (int H, int W) s, (int H, int W) p, bool ceil, int height, int width)
    {
        foreach (bool countIncludePad in new[] { true, false })
            GradientChecker.CheckLayer(sh => new AvgPool2DLayer("pool", sh, new AvgPool2DSpec(k.H, Padding.Explicit, s.H)
            {
                SizeW = k.W, StrideW = s.W, Pad = p.H, PadW = p.W, CeilMode = ceil, CountIncludePad = countIncludePad,
            }), new Shape(2, height, width), batch: 2);
    }

    [Theory]
    [InlineData(2, Padding.Same)]
    [InlineData(3, Padding.Valid)]
    public void AvgPool2d_keras(int size, Padding padding) =>
        GradientChecker.CheckLayer(s => new AvgPool2DLayer("pool", s, new AvgPool2DSpec(size, padding)), new Shape(3, 7, 5), batch: 2);

    [Theory]
    [InlineData(2, 2, false, 3, 5, 7)]
    [InlineData(2, 2, true, 3, 5, 7)]
    [InlineData(3, 2, false, 1, 1, 4)]
    [InlineData(2, 3, true, 2, 4, 1)]
    [InlineData(1, 1, true, 1, 1, 1)]
    public void UpSample2d_bilinear(int scaleH, int scaleW, bool alignCorners, int channels, int height, int width) =>
        GradientChecker.CheckLayer(s => new UpSample2DLayer("up", s,
            new UpSample2DSpec(scaleH) { ScaleW = scaleW, Mode = UpsampleMode.Bilinear, AlignCorners = alignCorners }),
            new Shape(channels, height, width), batch: 2);

    [Fact]
    public void UpSample2d_nearest_per_axis() =>
        GradientChecker.CheckLayer(s => new UpSample2DLayer("up", s, new UpSample2DSpec(2) { ScaleW = 3 }), new Shape(2, 3, 4), batch: 2);
}

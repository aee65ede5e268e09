using GpuAe.Backends;
using GpuAe.Graph;
using GpuAe.Models;

namespace GpuAe.Layers;

/// <summary>Padding of a spatial layer: Keras' "valid" (none) or "same" (output = ceil(input / stride), the extra pixel
/// after), or PyTorch's "explicit" integer amounts (the layer's <c>pad</c>/<c>pad_w</c>, the same on both sides).</summary>
public enum Padding { Valid, Same, Explicit }

internal static class PaddingMath
{
    /// <summary>(before, after) padding along one axis. "same" splits the total with the extra pixel
    /// after, as TensorFlow does; "explicit" is <paramref name="pad"/> on both sides.</summary>
    public static (int Before, int After) Amount(Padding padding, int input, int window, int stride, int dilation = 1, int pad = 0)
    {
        if (padding == Padding.Explicit) return (pad, pad);
        if (padding == Padding.Valid) return (0, 0);
        int output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + (window - 1) * dilation + 1 - input, 0);
        return (total / 2, total - total / 2);
    }

    /// <summary>Output length of a transposed convolution along one axis, as Keras/TensorFlow define it
    /// (deconv_output_length without output_padding): "same" input * stride, "valid" input * stride +
    /// max(window - stride, 0), window being the dilated kernel extent. Long, so callers can refuse sizes that overflow an int.</summary>
    public static long TransposedOutput(Padding padding, int input, int window, int stride) =>
        (long)input * stride + (padding == Padding.Valid ? Math.Max(window - stride, 0) : 0);

    /// <summary>Output length of PyTorch's ConvTranspose2d along one axis:
    /// (input - 1) * stride - 2 * pad + dilation * (kernel - 1) + outputPadding + 1.</summary>
    public static long TorchTransposedOutput(int input, int kernel, int stride, int pad, int dilation, int outputPadding) =>
        (long)(input - 1) * stride - 2L * pad + (long)dilation * (kernel - 1) + outputPadding + 1;
}

/// <summary>The checks every spatial layer makes of its options, with errors that name the layer, the option and the numbers.</summary>
internal static class SpatialChecks
{
    public static void ImageInput(string layer, string kind, Shape input)
    {
        if (input.Rank != 3)
            throw new ModelSpecException($"{layer}: {kind} expects an image input [C, H, W] per sample, got {input}");
    }

    /// <summary>Throws unless every named value is at least <paramref name="min"/>.</summary>
    public static void AtLeast(string layer, string kind, int min, params (string Name, int Value)[] values)
    {
        foreach (var (what, value) in values)
            if (value < min)
                throw new ModelSpecException($"{layer}: {kind} needs {what} >= {min}, got {value}");
    }

    /// <summary>pad/pad_w (and output_padding) are PyTorch's and only mean something with padding "explicit".</summary>
    public static void ExplicitOnly(string layer, string kind, Padding padding, params (string Name, int? Value)[] values)
    {
        if (padding == Padding.Explicit) return;
        foreach (var (what, value) in values)
            if (value is not null)
                throw new ModelSpecException(
                    $"{layer}: {kind} has {what} {value} but padding \"{padding.ToString().ToLowerInvariant()}\"; integer padding needs padding \"explicit\"");
    }

    /// <summary>"kernel 3x5, stride 2x1, dilation 1x2, padding 1x2" for error messages.</summary>
    public static string Describe(SpatialOptions o, string window = "kernel") =>
        $"{window} {o.Window.H}x{o.Window.W}, stride {o.Stride.H}x{o.Stride.W}" +
        (o.Dilation != (1, 1) ? $", dilation {o.Dilation.H}x{o.Dilation.W}" : "") +
        (o.Padding == Padding.Explicit ? $", padding {o.Pad.H}x{o.Pad.W}" : $", padding \"{o.Padding.ToString().ToLowerInvariant()}\"");

    /// <summary>The pooling geometry of a max- or average-pool layer: Keras' "same"/"valid", or PyTorch's explicit
    /// padding (at most half the window, as PyTorch requires, so every window holds an input value) and ceil_mode.</summary>
    public static PoolGeometry Pool(string layer, string kind, Shape input, SpatialOptions o, bool ceilMode, bool countPadding)
    {
        ImageInput(layer, kind, input);
        AtLeast(layer, kind, 1, ("size", o.Window.H), ("size_w", o.Window.W), ("stride", o.Stride.H), ("stride_w", o.Stride.W));
        AtLeast(layer, kind, 0, ("pad", o.Pad.H), ("pad_w", o.Pad.W));
        if (o.Padding == Padding.Explicit && (2 * o.Pad.H > o.Window.H || 2 * o.Pad.W > o.Window.W))
            throw new ModelSpecException($"{layer}: {kind} padding {o.Pad.H}x{o.Pad.W} is more than half the window {o.Window.H}x{o.Window.W} (PyTorch's limit)");
        if (ceilMode && o.Padding == Padding.Same)
            throw new ModelSpecException($"{layer}: {kind} ceil_mode is PyTorch's and needs padding \"explicit\" or \"valid\", not \"same\"");
        int h = input[1], w = input[2];
        var (top, bottom) = PaddingMath.Amount(o.Padding, h, o.Window.H, o.Stride.H, pad: o.Pad.H);
        var (left, right) = PaddingMath.Amount(o.Padding, w, o.Window.W, o.Stride.W, pad: o.Pad.W);
        var g = new PoolGeometry(h, w, o.Window.H, o.Window.W, o.Stride.H, o.Stride.W, top, left, bottom, right, ceilMode, countPadding);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ModelSpecException($"{layer}: {kind} with {Describe(o, "window")} does not fit input {input} (output {g.OutHeight}x{g.OutWidth})");
        return g;
    }
}

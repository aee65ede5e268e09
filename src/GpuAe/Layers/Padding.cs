namespace GpuAe.Layers;

/// <summary>Keras-style padding: "valid" (none) or "same" (output = ceil(input / stride)).</summary>
public enum Padding { Valid, Same }

internal static class PaddingMath
{
    /// <summary>(before, after) padding along one axis. "same" splits the total with the extra pixel
    /// after, as TensorFlow does.</summary>
    public static (int Before, int After) Amount(Padding padding, int input, int window, int stride, int dilation = 1)
    {
        if (padding == Padding.Valid) return (0, 0);
        int output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + (window - 1) * dilation + 1 - input, 0);
        return (total / 2, total - total / 2);
    }

    /// <summary>Output length of a transposed convolution along one axis, as Keras/TensorFlow define it
    /// (deconv_output_length without output_padding): "same" input * stride, "valid" input * stride +
    /// max(window - stride, 0). Long, so callers can refuse sizes that overflow an int.</summary>
    public static long TransposedOutput(Padding padding, int input, int window, int stride) =>
        (long)input * stride + (padding == Padding.Valid ? Math.Max(window - stride, 0) : 0);
}

namespace GpuAe.Backends;

/// <summary>The argument rule of the clamping kernels, shared so every backend rejects the same input with the same message.</summary>
public static class ClampRange
{
    public static void Check(string kernel, float min, float max)
    {
        if (!(min <= max))
            throw new ArgumentException($"{kernel}: the clamp range [{min}, {max}] is empty or not a number; expected min <= max");
    }
}

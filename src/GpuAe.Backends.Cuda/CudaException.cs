namespace GpuAe.Backends.Cuda;

/// <summary>A CUDA driver call failed. The message names the call, the error (cuGetErrorName) and
/// its description; for module loads also the JIT error log.</summary>
public sealed class CudaException(string message, int code) : Exception(message)
{
    /// <summary>The CUresult.</summary>
    public int Code { get; } = code;
}

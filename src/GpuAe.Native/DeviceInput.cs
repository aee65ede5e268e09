using GpuAe.Backends;
using GpuAe.Backends.Cuda;
using GpuAe.Backends.OpenCL;

namespace GpuAe.Native;

/// <summary>Which GPU API a caller's device memory comes from (the _cl and _cu calls of gpuae.h).</summary>
internal enum DeviceApi
{
    OpenCl,
    Cuda,
}

/// <summary>
/// A caller's device memory staged for GpuAe: <see cref="Stage"/> turns a <c>cl_mem</c> or <c>CUdeviceptr</c>, an
/// element offset and a count of floats into a <see cref="BufferView"/> on the context's backend, checked against what
/// the API reports about the memory (its context, its size), without copying or allocating anything. Every kernel then
/// reads or writes it like GpuAe's own memory, in order on the context's queue or stream. Any C API call that takes
/// device memory goes through here, e.g. a trainer step on a device batch:
/// <code>trainer.TrainStep(DeviceInput.Stage(model.Context, DeviceApi.Cuda, pointer, offset, rows * size, "batch"), rows)</code>
/// </summary>
internal static class DeviceInput
{
    /// <summary>
    /// <paramref name="values"/> floats of the caller's memory <paramref name="handle"/> (a cl_mem as an integer, or a
    /// CUdeviceptr) from element <paramref name="offset"/>, on <paramref name="context"/>'s backend. <paramref name="name"/>
    /// names the argument in messages.
    /// </summary>
    /// <exception cref="NativeApiException">The context is not on the caller's objects of <paramref name="api"/>
    /// (invalid handle), or the memory ends before offset + values (buffer too small).</exception>
    /// <exception cref="ArgumentException">NULL, not memory of that API, or memory of another context.</exception>
    public static BufferView Stage(NativeContext context, DeviceApi api, ulong handle, nuint offset, ulong values, string name)
    {
        var buffer = api == DeviceApi.OpenCl ? OpenCl(context).BorrowBuffer((nint)handle, name) : Cuda(context).BorrowBuffer(handle, name);
        if ((ulong)offset > (ulong)buffer.Length || values > (ulong)buffer.Length - (ulong)offset)
            throw new NativeApiException(Status.BufferTooSmall,
                $"{name}: {values} floats from element offset {offset} do not fit: the buffer holds {buffer.Length} floats from its start" +
                (buffer.Length == int.MaxValue ? " (GpuAe addresses at most 2^31-1 floats of one buffer)" : ""));
        return buffer.Slice((long)offset, (long)values);
    }

    /// <summary>Throws unless <paramref name="context"/> runs on a caller's <paramref name="api"/> queue or stream.</summary>
    public static void CheckKind(NativeContext context, DeviceApi api)
    {
        if (api == DeviceApi.OpenCl) OpenCl(context);
        else Cuda(context);
    }

    private static OpenClBackend OpenCl(NativeContext context) =>
        context.Backend as OpenClBackend is { IsBorrowed: true } backend ? backend : throw WrongKind(context, "_cl", "gpuae_context_create_opencl");

    private static CudaBackend Cuda(NativeContext context) =>
        context.Backend as CudaBackend is { IsBorrowed: true } backend ? backend : throw WrongKind(context, "_cu", "gpuae_context_create_cuda");

    private static NativeApiException WrongKind(NativeContext context, string suffix, string maker) =>
        new(Status.InvalidHandle, $"the model's context runs on {Describe(context.Backend)}; the {suffix} calls take device memory of a " +
            $"context made with {maker} on your own objects");

    private static string Describe(IBackend backend) => backend switch
    {
        OpenClBackend { IsBorrowed: true } => "your OpenCL queue (use the _cl calls)",
        CudaBackend { IsBorrowed: true } => "your CUDA stream (use the _cu calls)",
        _ => $"GpuAe's own '{backend.Name}' device (gpuae_context_create)",
    };
}

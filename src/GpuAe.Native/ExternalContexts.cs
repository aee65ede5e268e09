using System.Runtime.InteropServices;
using GpuAe.Backends;
using GpuAe.Backends.Cuda;
using GpuAe.Backends.OpenCL;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>
/// The level-2 exports for engines that own their GPU work (native/include/gpuae.h, "Running on your own OpenCL queue
/// or CUDA stream"): contexts on the caller's OpenCL context and queue or CUDA context and stream, synchronisation on
/// request, and inference from and to the caller's device memory. The backends do the API work
/// (<see cref="OpenClBackend.CreateOnQueue"/>, <see cref="CudaBackend.CreateOnStream"/>); <see cref="DeviceInput"/>
/// stages the caller's memory; the <see cref="Trainer"/> enqueues the same plans as the host calls.
/// </summary>
internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "gpuae_context_create_opencl")]
    public static Status ContextCreateOpenCl(nint clContext, nint queue, nint* context) => Errors.Guard(() =>
    {
        var result = Out(context, "context");
        *result = AdoptBackend(OpenClBackend.CreateOnQueue(clContext, queue));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_context_create_cuda")]
    public static Status ContextCreateCuda(nint cuContext, nint stream, nint* context) => Errors.Guard(() =>
    {
        var result = Out(context, "context");
        *result = AdoptBackend(CudaBackend.CreateOnStream(cuContext, stream));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_context_synchronize")]
    public static Status ContextSynchronize(nint context) => Errors.Guard(() =>
    {
        Handles.Get<NativeContext>(context, "context").Backend.Synchronize();
        return Status.Ok;
    });

    /// <summary>A new gpuae_context handle on <paramref name="backend"/> (the caller owns the handle; the backend goes
    /// with its last reference). Tests open one on a CUDA backend over a fake driver this way.</summary>
    internal static nint AdoptBackend(IBackend backend) => Handles.New(new NativeContext(backend));

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_encode_cl")]
    public static Status ModelEncodeCl(nint model, nint input, nuint inputOffset, nuint count, nint codes, nuint codesOffset) =>
        OnDevice(model, DeviceApi.OpenCl, (ulong)input, inputOffset, count, (ulong)codes, codesOffset, DeviceOperation.Encode);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_encode_cu")]
    public static Status ModelEncodeCu(nint model, ulong input, nuint inputOffset, nuint count, ulong codes, nuint codesOffset) =>
        OnDevice(model, DeviceApi.Cuda, input, inputOffset, count, codes, codesOffset, DeviceOperation.Encode);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_decode_cl")]
    public static Status ModelDecodeCl(nint model, nint codes, nuint codesOffset, nuint count, nint output, nuint outputOffset) =>
        OnDevice(model, DeviceApi.OpenCl, (ulong)codes, codesOffset, count, (ulong)output, outputOffset, DeviceOperation.Decode);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_decode_cu")]
    public static Status ModelDecodeCu(nint model, ulong codes, nuint codesOffset, nuint count, ulong output, nuint outputOffset) =>
        OnDevice(model, DeviceApi.Cuda, codes, codesOffset, count, output, outputOffset, DeviceOperation.Decode);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_reconstruct_cl")]
    public static Status ModelReconstructCl(nint model, nint input, nuint inputOffset, nuint count, nint output, nuint outputOffset) =>
        OnDevice(model, DeviceApi.OpenCl, (ulong)input, inputOffset, count, (ulong)output, outputOffset, DeviceOperation.Reconstruct);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_reconstruct_cu")]
    public static Status ModelReconstructCu(nint model, ulong input, nuint inputOffset, nuint count, ulong output, nuint outputOffset) =>
        OnDevice(model, DeviceApi.Cuda, input, inputOffset, count, output, outputOffset, DeviceOperation.Reconstruct);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_reconstruction_error_cl")]
    public static Status ModelReconstructionErrorCl(nint model, nint input, nuint inputOffset, nuint count, nint scores, nuint scoresOffset) =>
        OnDevice(model, DeviceApi.OpenCl, (ulong)input, inputOffset, count, (ulong)scores, scoresOffset, DeviceOperation.ReconstructionError);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_reconstruction_error_cu")]
    public static Status ModelReconstructionErrorCu(nint model, ulong input, nuint inputOffset, nuint count, ulong scores, nuint scoresOffset) =>
        OnDevice(model, DeviceApi.Cuda, input, inputOffset, count, scores, scoresOffset, DeviceOperation.ReconstructionError);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_step_cl")]
    public static Status TrainerStepCl(nint trainer, nint batch, nuint batchOffset, nuint count, double* loss) =>
        StepOnDevice(trainer, DeviceApi.OpenCl, (ulong)batch, batchOffset, count, loss);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_step_cu")]
    public static Status TrainerStepCu(nint trainer, ulong batch, nuint batchOffset, nuint count, double* loss) =>
        StepOnDevice(trainer, DeviceApi.Cuda, batch, batchOffset, count, loss);

    /// <summary>gpuae_trainer_step on a batch in the caller's device buffer: staged as a view (no copy), then the same
    /// core as the host step (its loss read back, so the call waits for the step on the queue/stream).</summary>
    private static Status StepOnDevice(nint trainer, DeviceApi api, ulong batch, nuint batchOffset, nuint count, double* loss) => Errors.Guard(() =>
    {
        var t = Handles.Get<NativeTrainer>(trainer, "trainer");
        DeviceInput.CheckKind(t.Model.Context, api);
        if (count == 0) throw new NativeApiException(Status.InvalidArgument, "count = 0: a step needs at least one sample");
        if (count > int.MaxValue) throw new NativeApiException(Status.InvalidArgument, $"count = {count}: at most {int.MaxValue} samples per step");
        var view = DeviceInput.Stage(t.Model.Context, api, batch, batchOffset, count * (ulong)t.Model.SampleSize, "batch");
        double value = t.Step(view, (int)count);
        if (loss is not null) *loss = value;
        return Status.Ok;
    });

    /// <summary>The shared shape of the device-buffer calls: check the handle and the context's kind, stage both
    /// buffers (checked against their sizes), enqueue the operation. Waits for nothing.</summary>
    private static Status OnDevice(nint model, DeviceApi api, ulong input, nuint inputOffset, nuint count, ulong output, nuint outputOffset,
        DeviceOperation operation) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        DeviceInput.CheckKind(m.Context, api);
        if (count == 0) return Status.Ok;
        if (count > int.MaxValue) throw new NativeApiException(Status.InvalidArgument, $"count = {count}: at most {int.MaxValue} samples per call");
        var trainer = m.Trainer;
        var source = DeviceInput.Stage(m.Context, api, input, inputOffset, count * (ulong)operation.InputWidth(trainer), operation.InputName);
        var destination = DeviceInput.Stage(m.Context, api, output, outputOffset, count * (ulong)operation.OutputWidth(trainer), operation.OutputName);
        operation.Run(trainer, source, (int)count, destination);
        return Status.Ok;
    });

    /// <summary>One device-buffer operation: its arguments' names and widths (floats per sample) and the Trainer call.</summary>
    private sealed record DeviceOperation(string InputName, Func<Trainer, int> InputWidth, string OutputName, Func<Trainer, int> OutputWidth,
        Action<Trainer, BufferView, int, BufferView> Run)
    {
        private static int SampleSize(Trainer t) => t.Model.InputShape.Aggregate(1, (a, b) => a * b);

        public static readonly DeviceOperation Encode = new("input", SampleSize, "codes", t => t.CodeSize, (t, i, n, o) => t.EncodeOnDevice(i, n, o));
        public static readonly DeviceOperation Decode = new("codes", t => t.CodeSize, "output", SampleSize, (t, i, n, o) => t.DecodeOnDevice(i, n, o));
        public static readonly DeviceOperation Reconstruct = new("input", SampleSize, "output", SampleSize, (t, i, n, o) => t.ReconstructOnDevice(i, n, o));
        public static readonly DeviceOperation ReconstructionError = new("input", SampleSize, "scores", _ => 1,
            (t, i, n, o) => t.ReconstructionErrorsOnDevice(i, n, o));
    }
}

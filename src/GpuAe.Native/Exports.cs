using System.Runtime.InteropServices;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>
/// The exported C functions of native/include/gpuae.h (which states ownership, lifetime and threading per function).
/// Every body runs inside <see cref="Errors.Guard"/>: a failure is a status plus gpuae_last_error, never an exception
/// crossing into the host.
/// </summary>
internal static unsafe partial class Exports
{
    /// <summary>Library version, MAJOR*10000 + MINOR*100 + PATCH (GPUAE_VERSION_NUMBER of the header it was built with).</summary>
    public const uint Version = 100;

    /// <summary>The C API level (GPUAE_API_VERSION): grows by one whenever functions are appended.</summary>
    public const uint ApiVersion = 2;

    [UnmanagedCallersOnly(EntryPoint = "gpuae_version")]
    public static uint GetVersion() => Version;

    [UnmanagedCallersOnly(EntryPoint = "gpuae_api_version")]
    public static uint GetApiVersion() => ApiVersion;

    [UnmanagedCallersOnly(EntryPoint = "gpuae_status_string")]
    public static byte* StatusString(Status status) => Errors.Describe(status);

    [UnmanagedCallersOnly(EntryPoint = "gpuae_last_error")]
    public static byte* LastError() => Errors.Last;

    [UnmanagedCallersOnly(EntryPoint = "gpuae_context_create")]
    public static Status ContextCreate(byte* backend, int device, nint* context) => Errors.Guard(() =>
    {
        var result = Out(context, "context");
        string name = Text(backend, "backend");
        if (device < 0) throw new NativeApiException(Status.InvalidArgument, $"device = {device}: expected an index >= 0");
        *result = Handles.New(NativeContext.Create(name, device));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_context_destroy")]
    public static void ContextDestroy(nint context) =>
        Errors.Guard(() => { Handles.Free<NativeContext>(context, "context")?.Release(); return Status.Ok; });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_context_backend")]
    public static byte* ContextBackend(nint context)
    {
        byte* name = null;
        Errors.Guard(() => { name = Handles.Get<NativeContext>(context, "context").Name; return Status.Ok; });
        return name;
    }

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_create_preset")]
    public static Status ModelCreatePreset(nint context, byte* preset, int seed, nint* model) => Errors.Guard(() =>
    {
        var owner = Handles.Get<NativeContext>(context, "context");
        var result = Out(model, "model");
        string name = Text(preset, "preset");
        var chosen = Presets.All.FirstOrDefault(p => p.Name == name)
            ?? throw new NativeApiException(Status.NotFound, $"preset '{name}' is not one of {string.Join(", ", Presets.Names)}");
        *result = Adopt(owner, new Trainer(owner.Backend, chosen.Model, chosen.Recipe, seed));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_load")]
    public static Status ModelLoad(nint context, byte* path, nint* model) => Errors.Guard(() =>
    {
        var owner = Handles.Get<NativeContext>(context, "context");
        var result = Out(model, "model");
        string file = Text(path, "path");
        if (!File.Exists(file)) throw new NativeApiException(Status.NotFound, $"checkpoint {file} does not exist");
        var saved = Checkpoint.Read(file);
        var scaling = InputScaling.Read(file);
        *result = Adopt(owner, saved.CreateTrainer(owner.Backend), scaling);
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_destroy")]
    public static void ModelDestroy(nint model) =>
        Errors.Guard(() => { Handles.Free<NativeModel>(model, "model")?.Release(); return Status.Ok; });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_input_shape")]
    public static Status ModelInputShape(nint model, nuint* channels, nuint* height, nuint* width) => Errors.Guard(() =>
    {
        var shape = Handles.Get<NativeModel>(model, "model").Trainer.Model.InputShape;
        nuint* c = Out(channels, "channels"), h = Out(height, "height"), w = Out(width, "width");
        bool image = shape.Length == 3;
        *c = image ? (nuint)shape[0] : 1;
        *h = image ? (nuint)shape[1] : 1;
        *w = image ? (nuint)shape[2] : (nuint)shape.Aggregate(1, (a, b) => a * b);
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_input_size")]
    public static Status ModelInputSize(nint model, nuint* size) => Errors.Guard(() =>
    {
        int value = Handles.Get<NativeModel>(model, "model").SampleSize;
        *Out(size, "size") = (nuint)value;
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_code_size")]
    public static Status ModelCodeSize(nint model, nuint* size) => Errors.Guard(() =>
    {
        int value = Handles.Get<NativeModel>(model, "model").Trainer.CodeSize;
        *Out(size, "size") = (nuint)value;
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_parameter_count")]
    public static Status ModelParameterCount(nint model, ulong* count) => Errors.Guard(() =>
    {
        long value = Handles.Get<NativeModel>(model, "model").Trainer.ParameterCount;
        *Out(count, "count") = (ulong)value;
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_encode")]
    public static Status ModelEncode(nint model, float* input, nuint count, float* codes, nuint codesLength) =>
        Errors.Guard(() => Infer(model, input, count, codes, codesLength, "codes", m => m.Trainer.CodeSize,
            (m, data, n) => m.Trainer.Encode(data, n)));

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_reconstruct")]
    public static Status ModelReconstruct(nint model, float* input, nuint count, float* output, nuint outputLength) =>
        Errors.Guard(() => Infer(model, input, count, output, outputLength, "output", m => m.SampleSize,
            (m, data, n) => m.Trainer.Reconstruct(data, n)));

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_reconstruction_error")]
    public static Status ModelReconstructionError(nint model, float* input, nuint count, double* scores, nuint scoresLength) =>
        Errors.Guard(() => Infer(model, input, count, scores, scoresLength, "scores", _ => 1,
            (m, data, _) => m.Trainer.ReconstructionErrors(data)));

    /// <summary>The shared shape of the host-pointer inference calls: check the handle, pointers and the output
    /// length (count * width values), upload, run, copy the result out.</summary>
    private static Status Infer<T>(nint model, float* input, nuint count, T* output, nuint outputLength, string outputName,
        Func<NativeModel, int> width, Func<NativeModel, DeviceDataset, int, T[]> run) where T : unmanaged
    {
        var m = Handles.Get<NativeModel>(model, "model");
        if (count == 0) return Status.Ok;
        if (input is null) throw new NativeApiException(Status.InvalidArgument, "input is NULL");
        if (output is null) throw new NativeApiException(Status.InvalidArgument, $"{outputName} is NULL");
        ulong needed = (ulong)count * (ulong)width(m);
        if (outputLength < needed)
            throw new NativeApiException(Status.BufferTooSmall, $"{outputName} holds {outputLength} values, {count} samples need {needed}");
        using var data = m.Upload(input, count);
        var result = run(m, data, (int)count);
        result.AsSpan().CopyTo(new Span<T>(output, result.Length));
        return Status.Ok;
    }

    private static nint Adopt(NativeContext context, Trainer trainer, InputScaling? scaling = null) =>
        Handles.New(new NativeModel(context, trainer, scaling));

    private static T* Out<T>(T* pointer, string name) where T : unmanaged =>
        pointer is not null ? pointer : throw new NativeApiException(Status.InvalidArgument, $"{name} (the output pointer) is NULL");

    private static string Text(byte* utf8, string name) =>
        utf8 is not null ? Marshal.PtrToStringUTF8((nint)utf8)! : throw new NativeApiException(Status.InvalidArgument, $"{name} is NULL");
}

using System.Runtime.InteropServices;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>API level 2, models: from a spec JSON string, saved as a checkpoint, decoded, and what a host asks of them
/// (spec, recipe, seed, counters, input scaling). Ownership and threading per function in native/include/gpuae.h.</summary>
internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_create_spec")]
    public static Status ModelCreateSpec(nint context, byte* specJson, int seed, nint* model) => Errors.Guard(() =>
    {
        var owner = Handles.Get<NativeContext>(context, "context");
        var result = Out(model, "model");
        var spec = ModelSpec.FromJson(Text(specJson, "spec_json"));
        *result = Adopt(owner, new Trainer(owner.Backend, spec, SpecRecipe, seed));
        return Status.Ok;
    });

    /// <summary>The recipe of a model made from a spec: the one `gpuae train --model FILE.json` starts from (dense32's).</summary>
    private static TrainingRecipe SpecRecipe => Presets.Get("dense32").Recipe;

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_save")]
    public static Status ModelSave(nint model, byte* path) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        string file = Text(path, "path");
        if (file.Length == 0) throw new NativeApiException(Status.InvalidArgument, "path is empty");
        if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder && !Directory.Exists(folder))
            throw new NativeApiException(Status.NotFound, $"path {file}: the folder {folder} does not exist");
        try
        {
            Checkpoint.Save(m.Trainer, file, run: null, new Dictionary<string, string> { [InputScaling.MetadataKey] = m.Scaling.ToJson() });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NativeApiException(Status.InvalidArgument, $"path {file}: cannot write the checkpoint ({e.Message})");
        }
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_decode")]
    public static Status ModelDecode(nint model, float* codes, nuint count, float* output, nuint outputLength) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        if (count == 0) return Status.Ok;
        if (codes is null) throw new NativeApiException(Status.InvalidArgument, "codes is NULL");
        if (output is null) throw new NativeApiException(Status.InvalidArgument, "output is NULL");
        int k = m.Trainer.CodeSize, size = m.SampleSize;
        if (count > (nuint)(int.MaxValue / Math.Max(k, size)))
            throw new NativeApiException(Status.InvalidArgument, $"count = {count}: at most {int.MaxValue / Math.Max(k, size)} codes per call");
        ulong needed = (ulong)count * (ulong)size;
        if (outputLength < needed)
            throw new NativeApiException(Status.BufferTooSmall, $"output holds {outputLength} values, {count} reconstructions need {needed}");
        var result = m.Trainer.Decode(new ReadOnlySpan<float>(codes, (int)count * k));
        result.AsSpan().CopyTo(new Span<float>(output, result.Length));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_spec_json")]
    public static Status ModelSpecJson(nint model, nint* json) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        *Out(json, "json") = (nint)m.Keep(m.Trainer.Model.ToJson());
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_recipe_json")]
    public static Status ModelRecipeJson(nint model, nint* json) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        *Out(json, "json") = (nint)m.Keep(m.Trainer.Recipe.ToJson());
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_recipe")]
    public static Status ModelRecipe(nint model, NativeRecipe* recipe) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        NativeRecipe.Write(m.Trainer.Recipe, Out(recipe, "recipe"));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_seed")]
    public static Status ModelSeed(nint model, int* seed) => Errors.Guard(() =>
    {
        int value = Handles.Get<NativeModel>(model, "model").Trainer.Seed;
        *Out(seed, "seed") = value;
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_counters")]
    public static Status ModelCounters(nint model, ulong* epochs, ulong* steps) => Errors.Guard(() =>
    {
        var trainer = Handles.Get<NativeModel>(model, "model").Trainer;
        ulong* e = Out(epochs, "epochs"), s = Out(steps, "steps");
        (*e, *s) = ((ulong)trainer.Epoch, (ulong)trainer.Step);
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_model_input_scaling")]
    public static Status ModelInputScaling(nint model, float* offset, float* scale, nuint length) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        float* o = Out(offset, "offset"), s = Out(scale, "scale");
        int size = m.SampleSize;
        if (length < (nuint)size)
            throw new NativeApiException(Status.BufferTooSmall, $"offset and scale hold {length} values, the model's samples have {size}");
        bool scaled = m.Scaling.Kind != ScaleKind.None;
        for (int j = 0; j < size; j++) (o[j], s[j]) = scaled ? (m.Scaling.Offset[j], m.Scaling.Scale[j]) : (0f, 1f);
        return Status.Ok;
    });
}

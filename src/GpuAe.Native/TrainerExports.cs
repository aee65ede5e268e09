using System.Runtime.InteropServices;

namespace GpuAe.Native;

/// <summary>API level 2, training: trainers with a recipe (C struct or JSON), steps, epochs with a progress callback and
/// cancellation, evaluation. Ownership and threading per function in native/include/gpuae.h.</summary>
internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_create")]
    public static Status TrainerCreate(nint model, NativeRecipe* recipe, nint* trainer) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        var result = Out(trainer, "trainer");
        var wanted = recipe is null ? m.Trainer.Recipe : NativeRecipe.Read(recipe, m.Trainer.Recipe);
        *result = Handles.New(NativeTrainer.Create(m, wanted));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_create_json")]
    public static Status TrainerCreateJson(nint model, byte* recipeJson, nint* trainer) => Errors.Guard(() =>
    {
        var m = Handles.Get<NativeModel>(model, "model");
        var result = Out(trainer, "trainer");
        var wanted = NativeRecipe.Merge(m.Trainer.Recipe, Text(recipeJson, "recipe_json"));
        *result = Handles.New(NativeTrainer.Create(m, wanted));
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_destroy")]
    public static void TrainerDestroy(nint trainer) =>
        Errors.Guard(() => { Handles.Free<NativeTrainer>(trainer, "trainer")?.Release(); return Status.Ok; });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_step")]
    public static Status TrainerStep(nint trainer, float* batch, nuint count, double* loss) => Errors.Guard(() =>
    {
        var t = Handles.Get<NativeTrainer>(trainer, "trainer");
        if (count == 0) throw new NativeApiException(Status.InvalidArgument, "count = 0: a step needs at least one sample");
        double value = t.Step(batch, count);
        if (loss is not null) *loss = value;
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_epoch")]
    public static Status TrainerEpoch(nint trainer, float* samples, nuint count,
        delegate* unmanaged<void*, ulong, ulong, int> progress, void* userData, double* loss) => Errors.Guard(() =>
    {
        var t = Handles.Get<NativeTrainer>(trainer, "trainer");
        if (count == 0) throw new NativeApiException(Status.InvalidArgument, "count = 0: an epoch needs at least one sample");
        double value = t.Epoch(samples, count, progress, userData);
        if (loss is not null) *loss = value;
        return Status.Ok;
    });

    [UnmanagedCallersOnly(EntryPoint = "gpuae_trainer_evaluate")]
    public static Status TrainerEvaluate(nint trainer, float* samples, nuint count, double* loss, double* mse) => Errors.Guard(() =>
    {
        var t = Handles.Get<NativeTrainer>(trainer, "trainer");
        if (count == 0) throw new NativeApiException(Status.InvalidArgument, "count = 0: evaluation needs at least one sample");
        var evaluation = t.Evaluate(samples, count);
        if (loss is not null) *loss = evaluation.Loss;
        if (mse is not null) *mse = evaluation.Mse;
        return Status.Ok;
    });
}

using System.Runtime.InteropServices;
using GpuAe.Backends;
using GpuAe.Cli;
using GpuAe.Data;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>
/// gpuae_context: one backend. Models keep their context alive: gpuae_context_destroy only lets go of the caller's
/// reference, and the backend is disposed when the last model made on it is destroyed too.
/// </summary>
internal sealed unsafe class NativeContext
{
    private int _references = 1;

    internal NativeContext(IBackend backend)
    {
        Backend = backend;
        Name = Errors.Copy(backend.Name);
    }

    public IBackend Backend { get; }

    /// <summary>The backend's name as NUL-terminated UTF-8, freed with the context.</summary>
    public byte* Name { get; }

    /// <summary>A backend by name: cpu, opencl, cuda, or auto (CUDA, then an OpenCL GPU, then the CPU), chosen as
    /// `gpuae --backend NAME --device DEVICE` chooses.</summary>
    public static NativeContext Create(string name, int device) =>
        BackendChooser.Names.Contains(name, StringComparer.Ordinal)
            ? new(BackendChooser.Create(name, device.ToString(System.Globalization.CultureInfo.InvariantCulture)).Backend)
            : throw new NativeApiException(Status.NotFound, $"backend '{name}' is not one of {string.Join(", ", BackendChooser.Names)}");

    public void AddReference() => _references++;

    public void Release()
    {
        if (--_references > 0) return;
        Backend.Dispose();
        NativeMemory.Free(Name);
    }
}

/// <summary>Opaque handles: a GCHandle per object, checked for NULL and for the expected kind.</summary>
internal static class Handles
{
    public static nint New(object target) => GCHandle.ToIntPtr(GCHandle.Alloc(target));

    public static T Get<T>(nint handle, string what) where T : class
    {
        if (handle == 0) throw new NativeApiException(Status.InvalidHandle, $"{what} is NULL");
        return GCHandle.FromIntPtr(handle).Target as T
            ?? throw new NativeApiException(Status.InvalidHandle, $"{what} is not a {Kind<T>()} handle");
    }

    /// <summary>Frees the handle and returns its object; NULL gives null (destroy(NULL) does nothing).</summary>
    public static T? Free<T>(nint handle, string what) where T : class
    {
        if (handle == 0) return null;
        var target = Get<T>(handle, what);
        GCHandle.FromIntPtr(handle).Free();
        return target;
    }

    private static string Kind<T>() =>
        typeof(T) == typeof(NativeContext) ? "gpuae_context" : typeof(T) == typeof(NativeTrainer) ? "gpuae_trainer" : "gpuae_model";
}

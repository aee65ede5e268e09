namespace GpuAe.Backends.Cuda;

/// <summary>
/// A driver on a context the caller owns: every call runs with that context pushed on the calling thread's context
/// stack and pops it afterwards, so GpuAe works in the caller's context from any thread and leaves the thread's
/// current context as it found it (cuBLAS instead binds to whatever is current; an engine embedding GpuAe should
/// not have to care). The push and pop are per driver call (two cheap thread-local driver calls per launch), so no
/// entry point of the library can forget them. Disposing disposes the inner driver, which does not release the
/// context.
/// </summary>
internal sealed unsafe class ContextScopedDriver(ICudaDriver inner, ICudaContextStack stack, nint context) : ICudaDriver
{
    public CudaDeviceInfo Device => inner.Device;

    /// <summary>The caller's context this driver works in.</summary>
    public nint Context => context;

    private Scope Enter()
    {
        stack.Push(context);
        return new Scope(stack);
    }

    private readonly ref struct Scope(ICudaContextStack stack)
    {
        public void Dispose() => stack.Pop();
    }

    public nint LoadModule(string name, ReadOnlySpan<byte> ptx) { using var _ = Enter(); return inner.LoadModule(name, ptx); }
    public nint GetFunction(nint module, string name) { using var _ = Enter(); return inner.GetFunction(module, name); }
    public ulong Allocate(long bytes) { using var _ = Enter(); return inner.Allocate(bytes); }
    public (long Free, long Total) MemoryInfo() { using var _ = Enter(); return inner.MemoryInfo(); }
    public void Free(ulong pointer) { using var _ = Enter(); inner.Free(pointer); }
    public (ulong Base, long Bytes) AddressRange(ulong pointer) { using var _ = Enter(); return inner.AddressRange(pointer); }
    public void* AllocatePinned(long bytes) { using var _ = Enter(); return inner.AllocatePinned(bytes); }
    public void FreePinned(void* pointer) { using var _ = Enter(); inner.FreePinned(pointer); }

    public void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream)
    {
        using var _ = Enter();
        inner.CopyHostToDevice(destination, source, bytes, stream);
    }

    public void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream)
    {
        using var _ = Enter();
        inner.CopyDeviceToHost(destination, source, bytes, stream);
    }

    public void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream)
    {
        using var _ = Enter();
        inner.CopyDeviceToDevice(destination, source, bytes, stream);
    }

    public nint CreateStream() { using var _ = Enter(); return inner.CreateStream(); }
    public void DestroyStream(nint stream) { using var _ = Enter(); inner.DestroyStream(stream); }
    public void SynchronizeStream(nint stream) { using var _ = Enter(); inner.SynchronizeStream(stream); }
    public nint CreateEvent() { using var _ = Enter(); return inner.CreateEvent(); }
    public void DestroyEvent(nint evt) { using var _ = Enter(); inner.DestroyEvent(evt); }
    public void RecordEvent(nint evt, nint stream) { using var _ = Enter(); inner.RecordEvent(evt, stream); }
    public void WaitEvent(nint stream, nint evt) { using var _ = Enter(); inner.WaitEvent(stream, evt); }

    public void Launch(nint function, in LaunchGeometry geometry, uint sharedBytes, nint stream, void** arguments)
    {
        using var _ = Enter();
        inner.Launch(function, geometry, sharedBytes, stream, arguments);
    }

    public void BeginCapture(nint stream) { using var _ = Enter(); inner.BeginCapture(stream); }
    public nint EndCaptureAndInstantiate(nint stream) { using var _ = Enter(); return inner.EndCaptureAndInstantiate(stream); }
    public void LaunchGraph(nint graphExec, nint stream) { using var _ = Enter(); inner.LaunchGraph(graphExec, stream); }
    public void DestroyGraph(nint graphExec) { using var _ = Enter(); inner.DestroyGraph(graphExec); }

    public void Dispose()
    {
        using var _ = Enter();
        inner.Dispose();
    }
}

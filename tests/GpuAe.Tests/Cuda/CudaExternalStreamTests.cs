using System.Runtime.InteropServices;
using GpuAe.Backends.Cuda;
using GpuAe.Native;

namespace GpuAe.Tests.Cuda;

/// <summary>
/// libgpuae on a caller's CUDA context and stream (gpuae_context_create_cuda), through the C exports, on the fake driver:
/// every launch and copy goes to the caller's stream in the caller's context, the device-buffer calls never wait, the
/// host-result calls wait only on that stream, the thread's current context is the same after every call, and nothing
/// the caller owns is created or destroyed. (The real driver's push/pop and cuMemGetAddressRange run on a GPU:
/// benchmarks/compare/gpu_checks_cuda.sh, native/examples/cuda_external_stream.c.)
/// </summary>
public sealed unsafe class CudaExternalStreamTests
{
    private const nint CallerContext = 0xC0DE, CallerStream = 0x5EED, OtherContext = 0xBEEF;

    /// <summary>A thread's context stack, starting with another context current (the caller's thread had one).</summary>
    private sealed class FakeContextStack : ICudaContextStack
    {
        public Stack<nint> Contexts { get; } = new([OtherContext]);
        public int Pushes { get; private set; }

        public void Push(nint context)
        {
            Contexts.Push(context);
            Pushes++;
        }

        public nint Pop() => Contexts.Pop();
    }

    private sealed class Setup : IDisposable
    {
        public readonly FakeCudaDriver Driver = new();
        public readonly FakeContextStack Stack = new();
        public readonly nint Context, Model;

        public Setup()
        {
            Driver.CurrentContext = () => Stack.Contexts.Peek();
            var backend = new CudaBackend(new ContextScopedDriver(Driver, Stack, CallerContext), CallerStream);
            Context = Exports.AdoptBackend(backend);
            nint model;
            fixed (byte* preset = "dense32\0"u8)
                Assert.Equal(Status.Ok, ((delegate* unmanaged<nint, byte*, int, nint*, Status>)&Exports.ModelCreatePreset)(Context, preset, 3, &model));
            Model = model;
        }

        public void Dispose()
        {
            ((delegate* unmanaged<nint, void>)&Exports.ModelDestroy)(Model);
            ((delegate* unmanaged<nint, void>)&Exports.ContextDestroy)(Context);
        }
    }

    private static readonly delegate* unmanaged<nint, ulong, nuint, nuint, ulong, nuint, Status> EncodeCu = &Exports.ModelEncodeCu;
    private static readonly delegate* unmanaged<nint, ulong, nuint, nuint, ulong, nuint, Status> DecodeCu = &Exports.ModelDecodeCu;
    private static readonly delegate* unmanaged<nint, ulong, nuint, nuint, ulong, nuint, Status> ReconstructCu = &Exports.ModelReconstructCu;
    private static readonly delegate* unmanaged<nint, ulong, nuint, nuint, ulong, nuint, Status> ErrorCu = &Exports.ModelReconstructionErrorCu;

    private static string LastError() => Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)&Exports.LastError)())!;

    [Fact]
    public void Device_buffer_calls_enqueue_everything_on_the_callers_stream_in_its_context_and_never_wait()
    {
        using var s = new Setup();
        const int count = 300, size = 784, code = 32, offset = 5;
        ulong input = s.Driver.Allocate((offset + count * size) * 4L), codes = s.Driver.Allocate((offset + count * code) * 4L);
        ulong output = s.Driver.Allocate((offset + count * size) * 4L), scores = s.Driver.Allocate((offset + count) * 4L);
        s.Driver.Calls.Clear();
        s.Driver.Launches.Clear();

        Assert.Equal(Status.Ok, EncodeCu(s.Model, input, offset, count, codes, offset));
        Assert.Equal(Status.Ok, ReconstructCu(s.Model, input, offset, count, output, offset));
        Assert.Equal(Status.Ok, ErrorCu(s.Model, input, offset, count, scores, offset));
        Assert.Equal(Status.Ok, DecodeCu(s.Model, codes, offset, count, output, offset));

        var work = s.Driver.Calls.Where(c => c.StartsWith("launch", StringComparison.Ordinal) || c.StartsWith("dtod", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(s.Driver.Launches);
        Assert.All(s.Driver.Launches, l => Assert.Equal(CallerStream, l.Stream));
        Assert.All(work, c => Assert.EndsWith($"on s{CallerStream} in c0x{CallerContext:x}", c));
        Assert.DoesNotContain(s.Driver.Calls, c => c.StartsWith("sync", StringComparison.Ordinal) || c.StartsWith("htod", StringComparison.Ordinal)
            || c.StartsWith("dtoh", StringComparison.Ordinal) || c.StartsWith("create", StringComparison.Ordinal));
        // the samples reach the plan by device-to-device copies from the caller's buffer (two batches: 256 + 44 rows),
        // the results leave the same way: encode, reconstruct, decode
        Assert.Contains($"dtod {256 * size * 4} on s{CallerStream} in c0x{CallerContext:x}", work);
        Assert.Contains($"dtod {44 * size * 4} on s{CallerStream} in c0x{CallerContext:x}", work);
        Assert.Contains($"dtod {44 * code * 4} on s{CallerStream} in c0x{CallerContext:x}", work);
        // one squared-error reduction per sample writes its score straight into the caller's buffer
        var finals = s.Driver.Launches.Where(l => l.Entry == "sum_final").Select(l => (ulong)l.Arguments[3] + (ulong)(int)l.Arguments[4] * 4).ToHashSet();
        for (int i = 0; i < count; i++) Assert.Contains(scores + (ulong)(offset + i) * 4, finals);
        // the thread's context stack is as the caller left it
        Assert.Equal([OtherContext], s.Stack.Contexts);
    }

    [Fact]
    public void Only_synchronize_and_host_result_calls_wait_and_only_on_the_callers_stream()
    {
        using var s = new Setup();
        s.Driver.Calls.Clear();
        Assert.Equal(Status.Ok, ((delegate* unmanaged<nint, Status>)&Exports.ContextSynchronize)(s.Context));
        Assert.Equal([$"sync s{CallerStream} in c0x{CallerContext:x}"], s.Driver.Calls);

        s.Driver.Calls.Clear();
        var samples = new float[3 * 784];
        var codes = new float[3 * 32];
        fixed (float* x = samples)
        fixed (float* c = codes)
            Assert.Equal(Status.Ok, ((delegate* unmanaged<nint, float*, nuint, float*, nuint, Status>)&Exports.ModelEncode)(s.Model, x, 3, c, (nuint)codes.Length));
        var syncs = s.Driver.Calls.Where(c => c.StartsWith("sync", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(syncs);
        Assert.All(syncs, c => Assert.Equal($"sync s{CallerStream} in c0x{CallerContext:x}", c));
        Assert.All(s.Driver.Calls.Where(c => c.Contains(" on s", StringComparison.Ordinal)), c => Assert.Contains($"on s{CallerStream} ", c));
        Assert.Equal([OtherContext], s.Stack.Contexts);
    }

    [Fact]
    public void Nothing_the_caller_owns_is_created_or_destroyed_and_every_push_is_popped()
    {
        var s = new Setup();
        ulong input = s.Driver.Allocate(784 * 4), codes = s.Driver.Allocate(32 * 4);
        Assert.Equal(Status.Ok, EncodeCu(s.Model, input, 0, 1, codes, 0));
        s.Dispose();
        Assert.DoesNotContain(s.Driver.Calls, c => c.StartsWith("create s", StringComparison.Ordinal) || c.StartsWith("destroy s", StringComparison.Ordinal));
        Assert.Contains("dispose", s.Driver.Calls);
        // GpuAe freed its own memory; the caller's two buffers are still there
        Assert.Equal(2, s.Driver.LiveAllocations);
        Assert.True(s.Stack.Pushes > 0);
        Assert.Equal([OtherContext], s.Stack.Contexts);
    }

    [Fact]
    public void Bad_device_pointers_and_wrong_calls_give_a_status_and_a_message()
    {
        using var s = new Setup();
        ulong input = s.Driver.Allocate(10 * 784 * 4), codes = s.Driver.Allocate(10 * 32 * 4);
        s.Driver.Calls.Clear();

        Assert.Equal(Status.BufferTooSmall, EncodeCu(s.Model, input, 0, 11, codes, 0));
        Assert.Contains("input", LastError());
        Assert.Equal(Status.BufferTooSmall, EncodeCu(s.Model, input, 0, 10, codes, 1));
        Assert.Contains("codes", LastError());
        Assert.Equal(Status.InvalidArgument, EncodeCu(s.Model, 0, 0, 1, codes, 0));
        Assert.Contains("NULL", LastError());
        Assert.Equal(Status.InvalidArgument, EncodeCu(s.Model, 0x7000_0000, 0, 1, codes, 0));
        Assert.Contains("not device memory", LastError());
        Assert.Equal(Status.InvalidArgument, EncodeCu(s.Model, input + 2, 0, 1, codes, 0));
        Assert.Contains("aligned", LastError());
        Assert.Equal(Status.InvalidHandle, EncodeCu(0, input, 0, 1, codes, 0));
        Assert.Equal(Status.InvalidHandle, EncodeCu(s.Context, input, 0, 1, codes, 0));
        Assert.Contains("not a gpuae_model", LastError());
        var encodeCl = (delegate* unmanaged<nint, nint, nuint, nuint, nint, nuint, Status>)&Exports.ModelEncodeCl;
        Assert.Equal(Status.InvalidHandle, encodeCl(s.Model, 1, 0, 1, 2, 0));
        Assert.Contains("gpuae_context_create_opencl", LastError());
        Assert.Equal(Status.Ok, EncodeCu(s.Model, 0, 0, 0, 0, 0));   // count 0: nothing to check or enqueue
        Assert.DoesNotContain(s.Driver.Calls, c => c.StartsWith("launch", StringComparison.Ordinal) || c.StartsWith("dtod", StringComparison.Ordinal));

        nint context;
        var create = (delegate* unmanaged<nint, nint, nint*, Status>)&Exports.ContextCreateCuda;
        Assert.Equal(Status.InvalidArgument, create(0, CallerStream, &context));
        Assert.Contains("CUcontext", LastError());
        Assert.Equal([OtherContext], s.Stack.Contexts);
    }
}

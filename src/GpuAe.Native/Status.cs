using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using GpuAe.Backends;
using GpuAe.Models;
using GpuAe.Training;

namespace GpuAe.Native;

/// <summary>gpuae_status in native/include/gpuae.h: the same names and values (append only).</summary>
internal enum Status
{
    Ok = 0,
    InvalidArgument = 1,
    InvalidHandle = 2,
    BufferTooSmall = 3,
    NotFound = 4,
    BadFile = 5,
    BackendUnavailable = 6,
    OutOfMemory = 7,
    Internal = 8,
    Cancelled = 9,
    Diverged = 10,
}

/// <summary>A failure the C API reports with a chosen status (argument checks of this layer).</summary>
internal sealed class NativeApiException(Status status, string message) : Exception(message)
{
    public Status Status { get; } = status;
}

/// <summary>
/// The thread's last error message (gpuae_last_error) and the mapping of every exception to a status: no
/// exception may leave an [UnmanagedCallersOnly] export (the runtime fails fast outside Windows).
/// </summary>
internal static unsafe class Errors
{
    // A pinned managed array rather than native memory: it lives as long as the thread refers to it and is
    // collected with the thread, so a host's worker threads leak nothing.
    [ThreadStatic] private static byte[]? _message;

    /// <summary>The thread's message as NUL-terminated UTF-8, owned by this thread; "" before any failure.</summary>
    public static byte* Last => _message is null ? Utf8(""u8) : (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_message));

    /// <summary>Runs an export's body; an exception becomes its status, with its message kept for gpuae_last_error.</summary>
    public static Status Guard(Func<Status> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var (status, message) = Classify(e);
            Remember(message);
            return status;
        }
    }

    private static (Status, string) Classify(Exception e) => e switch
    {
        NativeApiException n => (n.Status, n.Message),
        BackendUnavailableException => (Status.BackendUnavailable, e.Message),
        TrainingDivergedException => (Status.Diverged, e.Message),
        OperationCanceledException => (Status.Cancelled, e.Message),
        FileNotFoundException or DirectoryNotFoundException => (Status.NotFound, e.Message),
        InvalidDataException or ModelSpecException or EndOfStreamException => (Status.BadFile, e.Message),
        OutOfMemoryException => (Status.OutOfMemory, "out of memory"),
        ArgumentException => (Status.InvalidArgument, e.Message),
        _ => (Status.Internal, $"internal error: {e.Message}"),
    };

    /// <summary>Replaces the thread's message (gpuae_last_error's pointer to the previous one lives until then).</summary>
    public static void Remember(string message)
    {
        var copy = GC.AllocateUninitializedArray<byte>(Encoding.UTF8.GetByteCount(message) + 1, pinned: true);
        copy[Encoding.UTF8.GetBytes(message, copy)] = 0;
        _message = copy;
    }

    /// <summary>A NUL-terminated UTF-8 copy in native memory (NativeMemory.Free frees it).</summary>
    public static byte* Copy(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        var copy = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(copy, length));
        copy[length] = 0;
        return copy;
    }

    /// <summary>gpuae_status_string: a static English name per status.</summary>
    public static byte* Describe(Status status) => status switch
    {
        Status.Ok => Utf8("ok"u8),
        Status.InvalidArgument => Utf8("invalid argument"u8),
        Status.InvalidHandle => Utf8("invalid handle"u8),
        Status.BufferTooSmall => Utf8("output buffer too small"u8),
        Status.NotFound => Utf8("not found"u8),
        Status.BadFile => Utf8("malformed file or model"u8),
        Status.BackendUnavailable => Utf8("backend unavailable"u8),
        Status.OutOfMemory => Utf8("out of memory"u8),
        Status.Internal => Utf8("internal error"u8),
        Status.Cancelled => Utf8("cancelled"u8),
        Status.Diverged => Utf8("training diverged"u8),
        _ => Utf8("unknown status"u8),
    };

    // u8 literals live in the image's read-only data and end in a NUL that the span does not count.
    private static byte* Utf8(ReadOnlySpan<byte> literal) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(literal));
}

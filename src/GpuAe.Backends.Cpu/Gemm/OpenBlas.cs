using System.Runtime.InteropServices;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// Bindings to the CBLAS GEMM and thread controls of a system OpenBLAS. The library is found by a
/// resolver that tries the usual names; <see cref="IsAvailable"/> says whether one loaded, without
/// throwing, so callers can fall back to <see cref="ManagedGemm"/>.
/// </summary>
internal static partial class OpenBlas
{
    const string Library = "openblas";

    /// <summary>Names tried in order: Debian/Ubuntu, generic, Fedora pthread build, Windows, and a
    /// plain CBLAS as a last resort (GEMM only, no openblas_* functions).</summary>
    static readonly string[] Candidates =
        ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "openblas.dll", "libcblas.so.3"];

    // Loaded once per process: the resolver can be registered only once per assembly.
    static readonly Lazy<IntPtr> Handle = new(Load);

    /// <summary>CBLAS enums (cblas.h).</summary>
    internal const int RowMajor = 101, NoTrans = 111, Trans = 112;

    /// <summary>True when an OpenBLAS (or CBLAS) library was found and exports cblas_sgemm/cblas_dgemm.</summary>
    public static bool IsAvailable => Handle.Value != IntPtr.Zero
        && NativeLibrary.TryGetExport(Handle.Value, "cblas_sgemm", out _)
        && NativeLibrary.TryGetExport(Handle.Value, "cblas_dgemm", out _);

    /// <summary>Build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64";
    /// "CBLAS" for a library without openblas_get_config; null when nothing loaded.</summary>
    public static string? Config => !IsAvailable ? null
        : HasExport("openblas_get_config") ? Marshal.PtrToStringUTF8(openblas_get_config())?.Trim() : "CBLAS";

    /// <summary>OpenBLAS's worker thread count, or 1 for a library without openblas_get_num_threads.</summary>
    public static int Threads => HasExport("openblas_get_num_threads") ? openblas_get_num_threads() : 1;

    /// <summary>Sets OpenBLAS's thread count (process-wide in OpenBLAS); ignored by a plain CBLAS.</summary>
    public static void SetThreads(int threads)
    {
        if (HasExport("openblas_set_num_threads")) openblas_set_num_threads(threads);
    }

    static bool HasExport(string name) =>
        Handle.Value != IntPtr.Zero && NativeLibrary.TryGetExport(Handle.Value, name, out _);

    static IntPtr Load()
    {
        foreach (string name in Candidates)
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
                return Register(handle);
        // Debian keeps the pthread variant in a subfolder behind the alternatives system.
        foreach (string path in new[] { "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
                                        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0" })
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out IntPtr handle))
                return Register(handle);
        return IntPtr.Zero;
    }

    static IntPtr Register(IntPtr handle)
    {
        NativeLibrary.SetDllImportResolver(typeof(OpenBlas).Assembly,
            (name, _, _) => name == Library ? handle : IntPtr.Zero);
        return handle;
    }

    /// <summary>Makes sure the resolver is in place before any P/Invoke below runs.</summary>
    internal static void EnsureLoaded()
    {
        if (!IsAvailable)
            throw new DllNotFoundException(
                $"OpenBLAS not found (tried {string.Join(", ", Candidates)}). Install libopenblas0 or use the managed GEMM.");
    }

    [LibraryImport(Library)]
    internal static unsafe partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)]
    internal static unsafe partial void cblas_dgemm(int order, int transA, int transB, int m, int n, int k,
        double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);

    [LibraryImport(Library)]
    private static partial IntPtr openblas_get_config();

    [LibraryImport(Library)]
    private static partial void openblas_set_num_threads(int threads);

    [LibraryImport(Library)]
    private static partial int openblas_get_num_threads();
}

using System.Runtime.InteropServices;

namespace GpuAe.Backends.OpenCL.Native;

/// <summary>The one CLBlast entry point the GEMM benchmark compares against (C API, libclblast.so.1). Silk.NET has
/// no CLBlast binding, so this stays a <c>[LibraryImport]</c>; it takes the cl_mem and queue handles Silk hands out.</summary>
internal static unsafe partial class ClBlast
{
    public const int LayoutRowMajor = 101, TransposeNo = 111, TransposeYes = 112;

    static ClBlast() => NativeLibraries.EnsureResolver();

    public static bool IsAvailable => NativeLibraries.TryLoad(NativeLibraries.ClBlast, out _);

    [LibraryImport(NativeLibraries.ClBlast)]
    public static partial int CLBlastSgemm(int layout, int transA, int transB, nuint m, nuint n, nuint k,
        float alpha, nint a, nuint aOffset, nuint lda, nint b, nuint bOffset, nuint ldb,
        float beta, nint c, nuint cOffset, nuint ldc, nint* queue, nint* evt);
}

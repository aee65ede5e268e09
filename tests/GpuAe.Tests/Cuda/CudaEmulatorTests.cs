using System.Diagnostics;

namespace GpuAe.Tests.Cuda;

/// <summary>
/// Runs the CUDA-only kernels' logic on the CPU (kernels/cuda/emu: each block as std::threads, __syncthreads
/// as a barrier): the tiled FP32 GEMM on every tile x transpose with edge shapes, offsets and epilogues, and
/// the step-state kernels of graph capture. Needs a C++20 g++ (CI has g++-11 from .ci/install-cuda.sh).
/// </summary>
public sealed class CudaEmulatorTests
{
    private static string Root([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", ".."));

    private static string? Compiler() =>
        new[] { "g++-11", "g++-12", "g++" }.FirstOrDefault(c =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, c))));

    [SkippableTheory]
    [InlineData("gemm_emu.cpp")]
    [InlineData("stepped_emu.cpp")]
    public void Cuda_kernel_logic_matches_reference_on_the_cpu_emulator(string harness)
    {
        var compiler = Compiler();
        Skip.If(compiler is null, "no g++ on PATH");
        using var dir = new TempDirectory();
        var exe = Path.Combine(dir.Path, Path.GetFileNameWithoutExtension(harness));
        var (rc, output) = Run(compiler!, $"-std=c++20 -O1 -pthread -w -I \"{Path.Combine(Root(), "kernels", "common")}\" " +
            $"\"{Path.Combine(Root(), "kernels", "cuda", "emu", harness)}\" -o \"{exe}\"");
        Assert.True(rc == 0, $"{compiler} failed:\n{output}");
        (rc, output) = Run(exe, "");
        Assert.True(rc == 0, output);
        Assert.Contains(" 0 failures", output);
    }

    private static (int, string) Run(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}

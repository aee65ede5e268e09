using System.Diagnostics;
using GpuAe.Backends.OpenCL;

namespace GpuAe.Tests.OpenCL;

/// <summary>An ICD loader with no ICD behind it (ocl-icd pointed at an empty vendors folder): clGetPlatformIDs
/// answers CL_PLATFORM_NOT_FOUND_KHR through Silk.NET, which must read as "no platform", not as a failure. The
/// loader reads its vendors once per process, so this runs `gpuae devices` in a child process.</summary>
public sealed class OpenClNoIcdTests
{
    [SkippableFact]
    public void A_loader_without_an_icd_reports_no_platform_in_gpuae_devices()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && OpenClDevices.IsLoaderAvailable, "needs the ocl-icd loader (Linux)");
        using var vendors = new TempDirectory();
        var cli = Path.Combine(AppContext.BaseDirectory, "GpuAe.Cli.dll");
        var info = new ProcessStartInfo("dotnet", [cli, "devices"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["OCL_ICD_VENDORS"] = vendors.Path;
        info.Environment["COLUMNS"] = "400";   // one table row per backend, unwrapped
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "gpuae devices did not finish");
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("no OpenCL platform with a device (is an ICD such as pocl-opencl-icd installed?)", output.Result + errors);
    }
}

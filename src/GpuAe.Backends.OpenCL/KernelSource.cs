using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuAe.Backends.OpenCL;

/// <summary>The op families of kernels/opencl/, one .cl file (and one cached program) each.</summary>
internal enum KernelFamily { Elementwise, Activation, Gemm, Reduce, Conv, Pool, Upsample, Loss, Optim, Rand, Penalty, Vae }

/// <summary>
/// Kernel sources embedded in this assembly (kernels/opencl/*.cl, kernels/common/*.h). <c>#include "x.h"</c>
/// lines are inlined from the embedded copies, so a program needs no files on disk. Setting
/// <c>GPUAE_KERNEL_DIR</c> to a checkout root (the folder holding kernels/) loads the files from there
/// instead: edit a kernel and rerun without rebuilding (the program cache keys on the text).
/// </summary>
internal static partial class KernelSource
{
    public static string FileName(KernelFamily family) => family.ToString().ToLowerInvariant() + ".cl";

    /// <summary>The complete, self-contained program text of <paramref name="family"/>.</summary>
    public static string Load(KernelFamily family) => Expand("kernels/opencl/" + FileName(family), new HashSet<string>());

    private static string Expand(string resource, HashSet<string> seen)
    {
        var text = Read(resource);
        var builder = new StringBuilder(text.Length + 4096);
        foreach (var line in text.Split('\n'))
        {
            var match = IncludeLine().Match(line);
            if (!match.Success) { builder.Append(line).Append('\n'); continue; }
            var name = match.Groups[1].Value;
            var target = Exists("kernels/common/" + name) ? "kernels/common/" + name : "kernels/opencl/" + name;
            if (seen.Add(target)) builder.Append(Expand(target, seen));
        }
        return builder.ToString();
    }

    private static string? OverrideRoot => Environment.GetEnvironmentVariable("GPUAE_KERNEL_DIR") is { Length: > 0 } dir ? dir : null;

    private static bool Exists(string resource) => OverrideRoot is { } root
        ? File.Exists(Path.Combine(root, resource))
        : Assembly.GetManifestResourceInfo(resource) is not null;

    private static Assembly Assembly => typeof(KernelSource).Assembly;

    private static string Read(string resource)
    {
        if (OverrideRoot is { } root) return File.ReadAllText(Path.Combine(root, resource)).Replace("\r\n", "\n");
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"kernel source '{resource}' is not embedded in {Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n");
    }

    [GeneratedRegex("^\\s*#\\s*include\\s+\"([^\"]+)\"")]
    private static partial Regex IncludeLine();
}

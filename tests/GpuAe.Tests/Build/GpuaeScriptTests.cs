using System.Diagnostics;

namespace GpuAe.Tests.Build;

/// <summary>
/// The repository's <c>./gpuae</c> script: builds only when something under src/ or kernels/ (or a
/// Directory.Build.* file) is newer than its last build, says so when it builds, and otherwise starts the built
/// program directly. Runs a copy of the script in a scratch tree with a fake <c>dotnet</c> that logs its calls.
/// </summary>
public sealed class GpuaeScriptTests : IDisposable
{
    private const string FakeDotnet = """
        #!/usr/bin/env bash
        # build: log it, make the program (or fail when asked); anything else: "run" the program.
        if [[ "$1" == build ]]; then
          echo build >> "$FAKE_LOG"
          [[ -z "${FAKE_BUILD_FAILS:-}" ]] || { echo "error CS1002: ; expected" >&2; exit 1; }
          mkdir -p "$(dirname "$2")/bin/Release/net10.0" && touch "$(dirname "$2")/bin/Release/net10.0/GpuAe.Cli.dll"
          exit 0
        fi
        echo "ran $(basename "$1") ${*:2}"
        """;

    /// <summary>The file whose time is the script's last build.</summary>
    private const string BuildStamp = "src/GpuAe.Cli/obj/gpuae-built";

    private readonly TempDirectory _tree = new();

    public GpuaeScriptTests()
    {
        File.Copy(Path.Combine(Root(), "gpuae"), _tree.File("gpuae"));
        Write("src/GpuAe.Cli/Program.cs", "// program");
        Write("src/GpuAe.Cli/GpuAe.Cli.csproj", "<Project />");
        Write("kernels/opencl/gemm.cl", "// kernel");
        Write("Directory.Build.props", "<Project />");
        Write("fake/dotnet", FakeDotnet);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(_tree.File("fake/dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Age(_tree.Path);
    }

    public void Dispose() => _tree.Dispose();

    [SkippableFact]
    public void Builds_on_first_use_then_runs_the_built_program_until_a_source_changes()
    {
        Skip.If(OperatingSystem.IsWindows(), "the ./gpuae script is bash");

        var first = Gpuae("presets");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("building gpuae", first.Stderr);
        Assert.Equal(1, Builds());
        Assert.Equal("ran GpuAe.Cli.dll presets", first.Stdout.Trim());

        var second = Gpuae("train", "--out", "a b");
        Assert.Equal(0, second.ExitCode);
        Assert.Equal("", second.Stderr);
        Assert.Equal(1, Builds());
        Assert.Equal("ran GpuAe.Cli.dll train --out a b", second.Stdout.Trim());

        // Build outputs are no reason to build, even when newer than the last build.
        File.SetLastWriteTime(_tree.File(BuildStamp), DateTime.Now.AddMinutes(-10));
        Write("src/GpuAe.Cli/obj/Release/cache", "");
        Write("src/GpuAe.Cli/bin/Release/net10.0/extra.dll", "");
        Assert.Equal("", Gpuae("presets").Stderr);
        Assert.Equal(1, Builds());

        // A changed source, kernel or build file is, and so is a removed file or an added one, whatever its time.
        var changes = new Action[]
        {
            () => Touch("src/GpuAe.Cli/Program.cs"),
            () => Touch("kernels/opencl/gemm.cl"),
            () => Touch("Directory.Build.props"),
            () => File.Delete(_tree.File("kernels/opencl/gemm.cl")),
            () => { Write("src/GpuAe.Cli/Old.cs", "// from an old commit"); File.SetLastWriteTime(_tree.File("src/GpuAe.Cli/Old.cs"), DateTime.Now.AddYears(-1)); },
        };
        foreach (var change in changes)
        {
            var built = Builds();
            change();
            var run = Gpuae("presets");
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("rebuilding", run.Stderr);
            Assert.Equal(built + 1, Builds());
            Assert.Equal("", Gpuae("presets").Stderr);
            Assert.Equal(built + 1, Builds());
        }
    }

    [SkippableFact]
    public void A_failed_build_stops_with_its_errors_and_is_retried_next_time()
    {
        Skip.If(OperatingSystem.IsWindows(), "the ./gpuae script is bash");

        var failed = GpuaeWith(new() { ["FAKE_BUILD_FAILS"] = "1" }, "presets");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("error CS1002", failed.Stderr);
        Assert.DoesNotContain("ran ", failed.Stdout);

        var next = Gpuae("presets");
        Assert.Equal(0, next.ExitCode);
        Assert.Contains("building gpuae", next.Stderr);
        Assert.Equal(2, Builds());
    }

    private (int ExitCode, string Stdout, string Stderr) Gpuae(params string[] arguments) => GpuaeWith([], arguments);

    private (int ExitCode, string Stdout, string Stderr) GpuaeWith(Dictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(_tree.File("gpuae"));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["PATH"] = _tree.File("fake") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        info.Environment["FAKE_LOG"] = _tree.File("builds.log");
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    private int Builds() => File.Exists(_tree.File("builds.log")) ? File.ReadAllLines(_tree.File("builds.log")).Length : 0;

    private void Write(string relative, string text)
    {
        var path = _tree.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>
    /// Marks a file changed since the last build, with times set explicitly rather than left to the file
    /// system's clock: the script's stamp (its last build) goes ten minutes back, the file five.
    /// </summary>
    private void Touch(string relative)
    {
        File.SetLastWriteTime(_tree.File(BuildStamp), DateTime.Now.AddMinutes(-10));
        File.SetLastWriteTime(_tree.File(relative), DateTime.Now.AddMinutes(-5));
    }

    /// <summary>Dates the whole scratch tree an hour back, so the first build's stamp is newer than all of it.</summary>
    private static void Age(string root)
    {
        var past = DateTime.Now.AddHours(-1);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)) File.SetLastWriteTime(file, past);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories)) Directory.SetLastWriteTime(dir, past);
    }

    private static string Root([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", ".."));
}

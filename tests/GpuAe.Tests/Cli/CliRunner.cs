using Spectre.Console;

namespace GpuAe.Tests.Cli;

/// <summary>Runs `gpuae` in-process and captures what it prints (Spectre's console and stderr), or as a child process.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (savedOut, savedError, savedConsole) = (Console.Out, Console.Error, AnsiConsole.Console);
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        AnsiConsole.Console.Profile.Width = 400;
        try { return (GpuAe.Cli.Program.Main(args), output.ToString(), error.ToString()); }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
            AnsiConsole.Console = savedConsole;
        }
    }

    /// <summary>`dotnet GpuAe.Cli.dll ARGS` as a separate process (the CLI's build output sits next to the tests').</summary>
    public static (int Code, string Out, string Error) RunProcess(TimeSpan timeout, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(GpuAe.Cli.Program).Assembly.Location);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gpuae {string.Join(' ', args)} did not finish within {timeout}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

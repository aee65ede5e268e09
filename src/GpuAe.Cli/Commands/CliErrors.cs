using GpuAe.Backends;
using GpuAe.Data;
using GpuAe.Training;
using Spectre.Console;

namespace GpuAe.Cli.Commands;

/// <summary>Turns the errors a user can cause or fix into one clear line and an exit code; the rest is a bug and keeps its stack.</summary>
internal static class CliErrors
{
    public const int UserError = 1;

    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is InvalidDataException or DataUnavailableException or ModelSpecException
                                      or BackendUnavailableException or TrainingDivergedException or ArgumentException
                                      or FileNotFoundException or DirectoryNotFoundException or IOException
                                      or InsufficientMemoryException or UnauthorizedAccessException)
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {UserMessage(e)}");
            return UserError;
        }
    }

    /// <summary>The message without .NET's argument boilerplate (" (Parameter 'k')" and "Actual value was 0.").</summary>
    internal static string UserMessage(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name })
        {
            int cut = message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            if (cut >= 0) message = message[..cut];
        }
        return message;
    }
}

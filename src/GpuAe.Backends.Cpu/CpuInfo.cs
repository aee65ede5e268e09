namespace GpuAe.Backends.Cpu;

public static class CpuInfo
{
    /// <summary>The processor's model name from /proc/cpuinfo where there is one.</summary>
    public static string ModelName { get; } = ReadModelName();

    private static string ReadModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal))
                        return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}

using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuAe.Backends.Cuda;

/// <summary>One PTX file of kernels/cuda/ptx/ (embedded): its text and the .entry signatures in it.</summary>
public sealed partial class PtxModule
{
    private PtxModule(string family, string text)
    {
        Family = family;
        Text = text;
        Entries = ParseEntries(text);
    }

    /// <summary>The family = the .cu file stem ("gemm", "loss" ...).</summary>
    public string Family { get; }
    public string Text { get; }
    public IReadOnlyDictionary<string, KernelSignature> Entries { get; }

    /// <summary>".target sm_XY" of the PTX: the lowest compute capability that can load it.</summary>
    public int TargetComputeCapability => TargetLine().Match(Text) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;

    public static PtxModule Load(string family)
    {
        var resource = $"kernels/cuda/ptx/{family}.ptx";
        var assembly = typeof(PtxModule).Assembly;
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"PTX '{resource}' is not embedded in {assembly.GetName().Name} (is kernels/cuda/{family}.cu compiled and checked in?)");
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return new PtxModule(family, reader.ReadToEnd());
    }

    /// <summary>Every embedded PTX family.</summary>
    public static IReadOnlyList<string> EmbeddedFamilies => typeof(PtxModule).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("kernels/cuda/ptx/", StringComparison.Ordinal) && n.EndsWith(".ptx", StringComparison.Ordinal))
        .Select(n => n["kernels/cuda/ptx/".Length..^4]).Order(StringComparer.Ordinal).ToArray();

    public static PtxModule Parse(string family, string text) => new(family, text);

    /// <summary>Parses ".visible .entry name( .param .u32 name_param_0, ... )".</summary>
    public static IReadOnlyDictionary<string, KernelSignature> ParseEntries(string text)
    {
        var entries = new Dictionary<string, KernelSignature>(StringComparer.Ordinal);
        foreach (Match m in EntryBlock().Matches(text))
        {
            var signature = new KernelSignature(0, 0);
            foreach (Match p in ParamLine().Matches(m.Groups[2].Value))
            {
                signature = signature.Append(p.Groups[1].Value switch
                {
                    "u32" or "s32" or "b32" => ParamKind.Int32,
                    "f32" => ParamKind.Float32,
                    "u64" or "s64" or "b64" => ParamKind.UInt64,
                    var t => throw new InvalidDataException($"PTX entry {m.Groups[1].Value}: unsupported parameter type .{t}"),
                });
            }
            entries[m.Groups[1].Value] = signature;
        }
        return entries;
    }

    [GeneratedRegex(@"\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)", RegexOptions.Singleline)]
    private static partial Regex EntryBlock();

    [GeneratedRegex(@"\.param\s+\.(\w+)\s+[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex ParamLine();

    [GeneratedRegex(@"^\.target\s+sm_(\d+)", RegexOptions.Multiline)]
    private static partial Regex TargetLine();
}

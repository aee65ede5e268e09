using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace GpuAe.Cli.Commands;

/// <summary>
/// Numeric options whose parse errors speak the user's language ("--epochs abc: expected a whole number") instead of
/// System.CommandLine's, which names .NET types. They have no default value, so a command can tell an option the
/// user gave from one left out (needed with --resume); defaults are applied where the value is used.
/// Range checks run before any expensive work and throw <see cref="ArgumentException"/> naming the option.
/// </summary>
internal static class CliOptions
{
    public static Option<int?> Int(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, CustomParser = r => ParseInt(r, name) };

    public static Option<float?> Float(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, CustomParser = r => ParseFloat(r, name) };

    public static Option<double?> Double(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, CustomParser = r => ParseDouble(r, name) };

    /// <summary>A repeatable whole-number option (--k 2 30 32).</summary>
    public static Option<int[]> Ints(string name, string description) => new(name)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = r => r.Tokens.Select(t => ParseInt(r, name, t.Value) ?? 0).ToArray(),
    };

    /// <summary>An on/off switch that takes no value (System.CommandLine's default would accept "--profile x" and
    /// answer with a .NET type name).</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static int? ParseInt(ArgumentResult result, string name, string? text = null)
    {
        text ??= result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)) return value;
        result.AddError($"{name} {text}: expected a whole number");
        return null;
    }

    private static float? ParseFloat(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)) return value;
        result.AddError($"{name} {text}: expected a number");
        return null;
    }

    private static double? ParseDouble(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return value;
        result.AddError($"{name} {text}: expected a number");
        return null;
    }

    /// <summary>Throws unless <paramref name="value"/> (when given) is at least <paramref name="min"/>.</summary>
    public static void AtLeast(string name, int? value, int min)
    {
        if (value < min) throw new ArgumentException($"{name} must be at least {min}, got {value}");
    }

    /// <summary>Throws unless <paramref name="value"/> (when given) is finite and above 0, or at least 0 when <paramref name="zeroAllowed"/>.</summary>
    public static void Positive(string name, float? value, bool zeroAllowed = false)
    {
        if (value is not { } v) return;
        if (!float.IsFinite(v) || v < 0 || (v == 0 && !zeroAllowed))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{name} must be a finite number {(zeroAllowed ? ">= 0" : "above 0")}, got {v}"));
    }
}

using CsCheck;
using GpuAe.Fuzz;

namespace GpuAe.Tests.Properties;

/// <summary>
/// Every parser users feed files to (the fuzz targets of tests/GpuAe.Fuzz), on damaged copies of the valid files in
/// its seed corpus: every truncation, and random bit flips, either parse to a result the program can use or throw
/// the parser's documented error with a one-line message — never anything else (index out of range, overflow, a
/// null reference, out of memory from a length that lies). A new fuzz target is covered here without a new test.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly string CorpusRoot = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");

    /// <summary>(target, seed file) for every seed that parses: the valid files the properties start from.</summary>
    public static TheoryData<string, string> ValidSeeds()
    {
        var data = new TheoryData<string, string>();
        foreach (FuzzTarget target in FuzzTargets.All)
            foreach (string file in Seeds(target).Where(f => target.Run(File.ReadAllBytes(f)) is null))
                data.Add(target.Name, Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void Every_target_has_a_valid_seed_and_every_seed_parses_or_is_rejected()
    {
        foreach (FuzzTarget target in FuzzTargets.All)
        {
            string[] seeds = Seeds(target);
            Assert.True(seeds.Length > 0, $"fuzz target {target.Name} has no seeds in corpus/{target.Name}/");
            // Run throws on an undocumented exception; the valid ones are what the other properties mutate.
            Assert.Contains(seeds, file => target.Run(File.ReadAllBytes(file)) is null);
        }
    }

    [Theory]
    [MemberData(nameof(ValidSeeds))]
    public void Every_truncation_parses_or_throws_the_documented_error(string targetName, string seed)
    {
        FuzzTarget target = FuzzTargets.Find(targetName)!;
        byte[] bytes = File.ReadAllBytes(Path.Combine(CorpusRoot, targetName, seed));
        for (int length = 0; length < bytes.Length; length++)
            Survives(target, bytes[..length], $"{seed} cut to {length} of {bytes.Length} bytes");
    }

    [Theory]
    [MemberData(nameof(ValidSeeds))]
    public void Random_bit_flips_parse_or_throw_the_documented_error(string targetName, string seed)
    {
        FuzzTarget target = FuzzTargets.Find(targetName)!;
        byte[] bytes = File.ReadAllBytes(Path.Combine(CorpusRoot, targetName, seed));
        // One to eight flipped bits anywhere in the file; CsCheck shrinks a failure to the fewest, lowest bits.
        Gen.Int[0, bytes.Length * 8 - 1].Array[1, 8].Sample(bits =>
        {
            byte[] copy = (byte[])bytes.Clone();
            foreach (int bit in bits) copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Survives(target, copy, $"{seed} with bits {string.Join(",", bits)} flipped");
        }, iter: 1500);
    }

    private static string[] Seeds(FuzzTarget target)
    {
        string dir = Path.Combine(CorpusRoot, target.Name);
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray() : [];
    }

    private static void Survives(FuzzTarget target, byte[] input, string what)
    {
        try
        {
            target.Run(input);
        }
        catch (Exception e)
        {
            Assert.Fail($"{target.Name}, {what}: {e.GetType().Name} where only {target.DocumentedError.Name} may be thrown:\n{e}");
        }
    }
}

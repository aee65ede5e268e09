using System.Buffers.Binary;
using CsCheck;
using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Fuzz;
using GpuAe.Tests.Data;

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

    private static readonly Gen<string> TensorName =
        Gen.OneOf("w", "b", ".", "_", "0", "é", "字", "😀").Array[1, 4].Select(parts => string.Concat(parts));

    private static readonly Gen<NamedTensor> Tensor =
        Gen.Select(TensorName, Gen.Int[0, 3].Array[0, 3]).SelectMany(named =>
            Gen.Float.Array[named.Item2.Aggregate(1, (n, d) => n * d)].Select(data => new NamedTensor(named.Item1, named.Item2, data)));

    private static readonly Gen<Dictionary<string, string>> Metadata =
        Gen.Select(TensorName, TensorName).Array[0, 3].Select(pairs => pairs.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2));

    /// <summary>Damage to apply to a valid file: where to cut it, and which bits to flip (positions taken modulo its size).</summary>
    private static readonly Gen<(int Cut, int[] Bits)> Damage = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue].Array[1, 6]);

    [Fact]
    public void Generated_safetensors_files_read_back_and_survive_damage()
    {
        FuzzTarget target = FuzzTargets.Find("safetensors")!;
        using var dir = new TempDirectory();
        Gen.Select(Tensor.Array[0, 4], Metadata, Damage).Sample((tensors, metadata, damage) =>
        {
            tensors = tensors.DistinctBy(t => t.Name).ToArray();
            string path = dir.File($"{Guid.NewGuid():N}.safetensors"); // Sample runs on several threads
            SafeTensors.Write(path, tensors, metadata);
            byte[] bytes = File.ReadAllBytes(path);

            SafeTensorFile back = SafeTensors.Read(new MemoryStream(bytes), "g.safetensors");
            Assert.Equal(tensors.Select(t => (t.Name, Shape: string.Join(",", t.Shape))), back.Tensors.Select(t => (t.Name, Shape: string.Join(",", t.Shape))));
            Assert.Equal(tensors.SelectMany(t => t.Data).Select(BitConverter.SingleToInt32Bits), back.Tensors.SelectMany(t => t.Data).Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(metadata, back.Metadata);
            Damaged(target, bytes, damage);
        }, iter: 300);
    }

    [Fact]
    public void Generated_idx_files_plain_or_gzip_read_back_and_survive_damage()
    {
        FuzzTarget target = FuzzTargets.Find("idx")!;
        var file = Gen.Select(Gen.Bool, Gen.Bool, Gen.Int[1, 4].Array[1, 4]).SelectMany(spec =>
            Gen.Byte.Array[spec.Item3.Aggregate(spec.Item1 ? 4 : 1, (n, d) => n * d)].Select(payload => (Float: spec.Item1, Gzip: spec.Item2, Shape: spec.Item3, Payload: payload)));
        Gen.Select(file, Damage).Sample((idx, damage) =>
        {
            byte[] plain = IdxFiles.Bytes(idx.Float ? (byte)0x0D : (byte)0x08, idx.Shape, idx.Payload);
            byte[] bytes = idx.Gzip ? IdxFiles.Gzip(plain) : plain;

            IdxArray back = IdxReader.Parse(bytes, "g.idx");
            Assert.Equal(idx.Shape, back.Shape);
            Assert.Equal(idx.Float ? IdxElementType.Float32 : IdxElementType.UInt8, back.ElementType);
            float[] expected = idx.Float
                ? Enumerable.Range(0, idx.Payload.Length / 4).Select(i => BinaryPrimitives.ReadSingleBigEndian(idx.Payload.AsSpan(4 * i))).ToArray()
                : idx.Payload.Select(b => b / 255f).ToArray();
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), back.ToUnitFloats().Select(BitConverter.SingleToInt32Bits));
            Damaged(target, bytes, damage);
        }, iter: 500);
    }

    private static void Damaged(FuzzTarget target, byte[] bytes, (int Cut, int[] Bits) damage)
    {
        Survives(target, bytes[..(damage.Cut % bytes.Length)], $"a generated file cut to {damage.Cut % bytes.Length} of {bytes.Length} bytes");
        byte[] flipped = (byte[])bytes.Clone();
        foreach (int bit in damage.Bits) flipped[bit / 8 % bytes.Length] ^= (byte)(1 << (bit % 8));
        Survives(target, flipped, $"a generated file with bits {string.Join(",", damage.Bits)} flipped");
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

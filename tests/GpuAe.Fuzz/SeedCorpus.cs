using System.Buffers.Binary;
using System.IO.Compression;
using GpuAe.Checkpoints;
using GpuAe.Models;

namespace GpuAe.Fuzz;

/// <summary>
/// Writes the seed corpus checked in under corpus/: small valid files of each format from the project's own writers,
/// plus truncated copies (so the fuzzer starts next to the error paths too). Rerun after a format change:
/// <c>dotnet run --project tests/GpuAe.Fuzz -- --seeds tests/GpuAe.Fuzz/corpus</c>.
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string root)
    {
        string dir = Folder(root, "safetensors");
        var tensors = new NamedTensor[]
        {
            new("layers.0.weight", [2, 3], [1, 2, 3, 4, 5, 6]),
            new("layers.0.bias", [2], [-0.5f, float.Epsilon]),
            new("step", [], [42]),
            new("empty", [0, 4], []),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["gpuae.epoch"] = "3", ["note"] = "seed ü" };
        SafeTensors.Write(Path.Combine(dir, "checkpoint.safetensors"), tensors, metadata);
        SafeTensors.Write(Path.Combine(dir, "no-metadata.safetensors"), tensors[..2]);
        SafeTensors.Write(Path.Combine(dir, "nothing.safetensors"), []);
        byte[] checkpoint = File.ReadAllBytes(Path.Combine(dir, "checkpoint.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "truncated-data.safetensors"), checkpoint[..^5]);
        File.WriteAllBytes(Path.Combine(dir, "truncated-header.safetensors"), checkpoint[..40]);

        var idx = new Dictionary<string, byte[]>
        {
            ["images-u8"] = Idx(0x08, [3, 4, 4], Enumerable.Range(0, 48).Select(i => (byte)(i * 5)).ToArray()),
            ["labels-u8"] = Idx(0x08, [3], [7, 2, 1]),
            ["values-f32"] = Idx(0x0D, [2, 3], Floats(0f, 0.5f, 1f, -1f, float.MaxValue, 1e-30f)),
            ["rank4-u8"] = Idx(0x08, [1, 2, 1, 2], [1, 2, 3, 4]),
        };
        idx["truncated-u8"] = idx["images-u8"][..^7];
        // One parser reads both: it recognises gzip by its magic bytes.
        dir = Folder(root, "idx");
        foreach (var (name, bytes) in idx)
        {
            File.WriteAllBytes(Path.Combine(dir, name + ".idx"), bytes);
            File.WriteAllBytes(Path.Combine(dir, name + ".idx.gz"), Gzip(bytes));
        }
        File.WriteAllBytes(Path.Combine(dir, "truncated-gzip.idx.gz"), Gzip(idx["images-u8"])[..^12]);

        dir = Folder(root, "model-spec");
        foreach (string name in new[] { "dense32", "conv", "vae", "sparse", "contractive", "conv-transpose" })
            File.WriteAllText(Path.Combine(dir, name + ".json"), Presets.Get(name).Model.ToJson());
        string dense32 = Presets.Get("dense32").Model.ToJson();
        File.WriteAllText(Path.Combine(dir, "truncated.json"), dense32[..(dense32.Length / 2)]);

        // metrics.json as gpuae train writes it (the members --resume reads, among others it ignores).
        dir = Folder(root, "metrics");
        const string metrics = """
            {"model": "dense32", "seed": 3, "backend": "cpu", "started": "2026-11-30T11:54:01Z", "train_samples": 600,
             "epochs": [{"epoch": 1, "train_loss": 0.41, "val_loss": 0.39, "val_mse": 0.11, "epoch_seconds": 0.2, "samples_per_second": 3000},
                        {"epoch": 2, "train_loss": 0.31, "val_loss": null, "val_mse": null, "epoch_seconds": 0.2, "samples_per_second": 3100}]}
            """;
        File.WriteAllText(Path.Combine(dir, "two-epochs.json"), metrics);
        File.WriteAllText(Path.Combine(dir, "no-epochs.json"), """{"model": "vae", "seed": -1, "epochs": []}""");
        File.WriteAllText(Path.Combine(dir, "truncated.json"), metrics[..(metrics.Length / 2)]);
    }

    private static string Folder(string root, string target) => Directory.CreateDirectory(Path.Combine(root, target)).FullName;

    private static byte[] Idx(byte typeCode, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
            gzip.Write(bytes);
        return output.ToArray();
    }
}

using System.Buffers.Binary;
using System.Text;
using GpuAe.Backends.Cpu;
using GpuAe.Checkpoints;
using GpuAe.Data;
using GpuAe.Models;
using GpuAe.Tests.Data;
using GpuAe.Training;

namespace GpuAe.Tests.Properties;

/// <summary>Inputs the fuzzer (tests/GpuAe.Fuzz) found that crashed a parser with an undocumented exception, reduced
/// by hand; each now gets the documented error with a message that says what is wrong.</summary>
public sealed class FuzzRegressionTests
{
    private static byte[] SafeTensorsWithHeader(byte[] header)
    {
        var bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static string SafeTensorsError(byte[] header) =>
        Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(SafeTensorsWithHeader(header)), "x.safetensors")).Message;

    [Theory]
    [InlineData(new byte[] { (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}' })] // in a key
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'_', (byte)'_', (byte)'m', (byte)'e', (byte)'t', (byte)'a', (byte)'d', (byte)'a', (byte)'t', (byte)'a', (byte)'_', (byte)'_',
        (byte)'"', (byte)':', (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}', (byte)'}' })] // in a metadata value
    public void Safetensors_header_that_is_not_utf8_is_a_format_error(byte[] header) =>
        Assert.Equal("x.safetensors: header is not valid UTF-8 text", SafeTensorsError(header));

    [Theory]
    [InlineData("""{"__metadata__":{"a":"\ud800"}}""")]
    [InlineData("""{"\udc00w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""")]
    public void Safetensors_header_with_an_unpaired_surrogate_escape_is_a_format_error(string header) =>
        Assert.StartsWith("x.safetensors: header holds a string with an unpaired UTF-16 surrogate escape", SafeTensorsError(Encoding.UTF8.GetBytes(header)));

    [Fact]
    public void Safetensors_error_quoting_a_token_with_a_line_break_stays_on_one_line()
    {
        // The JSON reader quotes the bad token, line break and all.
        string message = SafeTensorsError(Encoding.UTF8.GetBytes("{\"a\":tab\ncd}"));
        Assert.StartsWith("x.safetensors: header is not valid JSON: 'tab\\u000Acd", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Model_spec_error_naming_a_model_with_a_line_break_stays_on_one_line() =>
        Assert.Equal("two\\u000Alines: the model has no layers",
            SpecError("""{"name":"two\nlines","input_shape":[784],"layers":[],"loss":"mean_squared_error","code_layer":0}"""));

    [Fact]
    public void Gzip_idx_that_inflates_far_beyond_its_header_is_rejected_without_inflating_it()
    {
        // 16 declared bytes, then 40 more gzip members of 64 MiB of zeros: 2.5 GiB inflated from a few MB. Inflating it
        // all took a minute and 5 GB of memory and ended in an IOException ("Stream was too long").
        byte[] idx = IdxFiles.Bytes(0x08, [16], new byte[16]);
        byte[] zeros = IdxFiles.Gzip(new byte[64 << 20]);
        byte[] content = [.. IdxFiles.Gzip(idx), .. Enumerable.Repeat(zeros, 40).SelectMany(z => z)];

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Parse(content, "bomb.idx.gz"));

        Assert.Equal("bomb.idx.gz: trailing bytes: header declares 16 = 16 bytes of data, the decompressed file holds more after the header", error.Message);
    }

    [Fact]
    public void Idx_header_declaring_more_bytes_than_one_array_holds_is_too_large()
    {
        byte[] idx = IdxFiles.Bytes(0x0D, [1 << 28, 2], []);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Parse(IdxFiles.Gzip(idx), "big.idx.gz"));
        Assert.Equal($"big.idx.gz: too large: dimensions 268435456x2 of float32 (type 0x0D) need more than the {Array.MaxLength} bytes one array can hold", error.Message);
    }

    [Fact]
    public void Idx_gzip_with_a_damaged_checksum_says_so()
    {
        byte[] gz = IdxFiles.Gzip(IdxFiles.Bytes(0x08, [4], [1, 2, 3, 4]));
        gz[^6] ^= 1; // a CRC-32 byte of the trailer
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Parse(gz, "crc.idx.gz"));
        Assert.Equal("crc.idx.gz: corrupt gzip data: the compressed bytes, their CRC-32 or their length do not check out", error.Message);
    }

    private static readonly string Dense32 = Presets.Get("dense32").Model.ToJson();

    private static string SpecError(string json) => Assert.Throws<ModelSpecException>(() =>
    {
        var spec = ModelSpec.FromJson(json);
        Network.Validate(spec);
    }).Message;

    [Fact]
    public void Model_spec_layer_without_a_type_is_a_spec_error()
    {
        string json = Dense32.Replace("""{"type":"dense","units":32""", """{"units":32""");
        Assert.StartsWith("model spec JSON is malformed: a layer or penalty has no \"type\" field (Path: $.layers[1] | LineNumber: 0",
            SpecError(json));
    }

    [Theory]
    [InlineData("\"input_shape\"", "\"input_shapf\"", "input_shape")]        // missing: was null, then a NullReferenceException
    [InlineData("\"code_layer\":1", "\"code_layer\":null", "code_layer")]    // null for an int
    [InlineData("\"layers\":[", "\"layers\":null,\"x\":[", "layers")]
    [InlineData("\"name\":\"dense32\"", "\"name\":null", "name")]
    [InlineData("\"loss\"", "\"los\"", "loss")]                              // missing: was silently binary cross-entropy
    public void Model_spec_with_a_missing_or_null_field_is_a_spec_error(string find, string replace, string field)
    {
        string message = SpecError(Dense32.Replace(find, replace));
        Assert.StartsWith("model spec JSON is malformed:", message);
        Assert.Contains(field, message);
    }

    [Fact]
    public void Model_spec_with_a_null_layer_is_a_spec_error() =>
        Assert.Equal("model spec JSON is malformed: layers[1] is null, expected a layer object",
            SpecError(Dense32.Replace("""{"type":"dense","units":32,"activation":"relu"}""", "null")));

    [Fact]
    public void Model_spec_with_a_null_penalty_is_a_spec_error() =>
        Assert.Equal("model spec JSON is malformed: penalties[0] is null, expected a penalty object",
            SpecError(Presets.Get("sparse").Model.ToJson().Replace("""{"type":"activity","kind":"l1","weight":0.0001}""", "null")));

    [Theory]
    [InlineData("[0,28,28]", "dense32: input shape [0, 28, 28] must have 1 to 3 positive dimensions ([features] or [C, H, W])")]
    [InlineData("[]", "dense32: input shape [] must have 1 to 3 positive dimensions ([features] or [C, H, W])")]
    [InlineData("[1,1,1,784]", "dense32: input shape [1, 1, 1, 784] must have 1 to 3 positive dimensions ([features] or [C, H, W])")]
    [InlineData("[65536,65536,2]", "dense32: input shape [65536, 65536, 2] has more than 2147483647 values per sample")]
    public void Model_spec_input_shape_must_be_a_usable_sample_shape(string shape, string expected) =>
        Assert.Equal(expected, SpecError(Dense32.Replace("[1,28,28]", shape)));

    [Fact]
    public void Model_spec_reshape_to_a_non_positive_shape_is_a_spec_error() =>
        Assert.Equal("layers.3: reshape target [1, -28, 28] must have 1 to 3 positive dimensions ([features] or [C, H, W])",
            SpecError(Dense32.Replace("""{"type":"reshape","shape":[1,28,28]}""", """{"type":"reshape","shape":[1,-28,28]}""")));

    [Fact]
    public void Model_spec_layer_output_over_int_max_values_is_a_spec_error() =>
        Assert.Equal("layers.0: output [1073741824, 28, 28] has more than 2147483647 values per sample",
            SpecError(Presets.Get("conv").Model.ToJson().Replace("\"filters\":16", "\"filters\":1073741824")));

    [Fact]
    public void A_spec_that_passes_validate_builds_a_network_with_the_parameters_it_declared()
    {
        var spec = ModelSpec.FromJson(Presets.Get("conv").Model.ToJson());
        var declared = Network.Validate(spec);
        using var backend = new CpuBackend("managed");
        using var network = new Network(backend, spec);
        Assert.Equal(network.Parameters.Entries.Select(e => (e.Decl.Name, e.Decl.Shape.ToString())), declared.Select(d => (d.Name, d.Shape.ToString())));
    }

    [Fact]
    public void Validate_tells_a_huge_spec_without_allocating_it()
    {
        // 784 x 2^28 weights: a 500-byte checkpoint naming this model made the CPU backend throw OutOfMemoryException.
        var declared = Network.Validate(ModelSpec.FromJson(Dense32.Replace("\"units\":32", "\"units\":268435456")));
        Assert.Equal(784L * 268435456, declared.Single(d => d.Name == "layers.1.weight").Shape.ElementCount);
    }
}

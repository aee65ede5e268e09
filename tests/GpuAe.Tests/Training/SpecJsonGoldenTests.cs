using GpuAe.Models;

namespace GpuAe.Tests.Training;

/// <summary>
/// The spec and recipe JSON of every preset, byte for byte, as the reflection-based serializer wrote it before the
/// move to source generation (checkpoints embed this JSON, and resume compares it): the dialect must not drift.
/// </summary>
public class SpecJsonGoldenTests
{
    private static readonly Dictionary<string, (string Model, string Recipe)> Golden = new()
    {
        ["dense32"] = (
            """{"name":"dense32","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":1}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":256,"epochs":50,"weight_decay":0,"noise":0}"""),
        ["deep"] = (
            """{"name":"deep","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":128,"activation":"relu"},{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":128,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":3}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":256,"epochs":100,"weight_decay":0,"noise":0}"""),
        ["mlp256"] = (
            """{"name":"mlp256","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":256,"activation":"relu"},{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":256,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"mean_squared_error","code_layer":2}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":64,"epochs":20,"weight_decay":0,"noise":0}"""),
        ["deep3"] = (
            """{"name":"deep3","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":256,"activation":"relu"},{"type":"dense","units":128,"activation":"relu"},{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":12,"activation":"relu"},{"type":"dense","units":3,"activation":"linear"},{"type":"dense","units":12,"activation":"relu"},{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":128,"activation":"relu"},{"type":"dense","units":256,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":5}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":256,"epochs":30,"weight_decay":0,"noise":0}"""),
        ["deep-rmsprop"] = (
            """{"name":"deep-rmsprop","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":512,"activation":"relu"},{"type":"dense","units":256,"activation":"relu"},{"type":"dense","units":128,"activation":"relu"},{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":128,"activation":"relu"},{"type":"dense","units":256,"activation":"relu"},{"type":"dense","units":512,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"mean_squared_error","code_layer":5}""",
            """{"optimizer":"rms_prop","learning_rate":0.001,"batch_size":256,"epochs":30,"weight_decay":0,"noise":0}"""),
        ["conv"] = (
            """{"name":"conv","input_shape":[1,28,28],"layers":[{"type":"conv2d","filters":16,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":16,"kernel":3,"activation":"relu","padding":"valid","stride":1},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":1,"kernel":3,"activation":"sigmoid","padding":"same","stride":1}],"loss":"binary_cross_entropy","code_layer":5}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":128,"epochs":50,"weight_decay":0,"noise":0}"""),
        ["conv-dense"] = (
            """{"name":"conv-dense","input_shape":[1,28,28],"layers":[{"type":"conv2d","filters":16,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"flatten"},{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":392,"activation":"relu"},{"type":"reshape","shape":[8,7,7]},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":16,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":1,"kernel":3,"activation":"sigmoid","padding":"same","stride":1}],"loss":"binary_cross_entropy","code_layer":5}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":128,"epochs":30,"weight_decay":0,"noise":0}"""),
        ["denoise"] = (
            """{"name":"denoise","input_shape":[1,28,28],"layers":[{"type":"conv2d","filters":32,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"conv2d","filters":32,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"maxpool2d","size":2,"padding":"same","stride":null},{"type":"conv2d","filters":32,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":32,"kernel":3,"activation":"relu","padding":"same","stride":1},{"type":"upsample2d","scale":2},{"type":"conv2d","filters":1,"kernel":3,"activation":"sigmoid","padding":"same","stride":1}],"loss":"binary_cross_entropy","code_layer":3}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":128,"epochs":100,"weight_decay":0,"noise":0.5}"""),
        ["sparse"] = (
            """{"name":"sparse","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":1,"penalties":[{"type":"activity","kind":"l1","weight":0.0001}]}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":256,"epochs":100,"weight_decay":0,"noise":0}"""),
        ["contractive"] = (
            """{"name":"contractive","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":64,"activation":"sigmoid"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":1,"penalties":[{"type":"contractive","weight":0.0005}]}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":256,"epochs":50,"weight_decay":0,"noise":0}"""),
        ["vae"] = (
            """{"name":"vae","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":400,"activation":"relu"},{"type":"vae_latent","units":20,"beta":1},{"type":"dense","units":400,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":2}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":128,"epochs":10,"weight_decay":0,"noise":0}"""),
        ["vae2d"] = (
            """{"name":"vae2d","input_shape":[1,28,28],"layers":[{"type":"flatten"},{"type":"dense","units":400,"activation":"relu"},{"type":"vae_latent","units":2,"beta":1},{"type":"dense","units":400,"activation":"relu"},{"type":"dense","units":784,"activation":"sigmoid"},{"type":"reshape","shape":[1,28,28]}],"loss":"binary_cross_entropy","code_layer":2}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":128,"epochs":10,"weight_decay":0,"noise":0}"""),
        ["conv-transpose"] = (
            """{"name":"conv-transpose","input_shape":[1,28,28],"layers":[{"type":"conv2d","filters":16,"kernel":3,"activation":"relu","padding":"same","stride":2},{"type":"conv2d","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":2},{"type":"conv2d_transpose","filters":8,"kernel":3,"activation":"relu","padding":"same","stride":2},{"type":"conv2d_transpose","filters":16,"kernel":3,"activation":"relu","padding":"same","stride":2},{"type":"conv2d","filters":1,"kernel":3,"activation":"sigmoid","padding":"same","stride":1}],"loss":"mean_squared_error","code_layer":1}""",
            """{"optimizer":"adam","learning_rate":0.001,"batch_size":32,"epochs":10,"weight_decay":0,"noise":0}"""),
    };

    public static TheoryData<string> PresetNames => new(Presets.Names);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Preset_json_is_byte_identical_and_round_trips(string name)
    {
        var preset = Presets.Get(name);
        Assert.True(Golden.TryGetValue(name, out var golden), $"no golden JSON for preset '{name}': add it");
        Assert.Equal(golden.Model, preset.Model.ToJson());
        Assert.Equal(golden.Recipe, preset.Recipe.ToJson());
        Assert.Equal(golden.Model, ModelSpec.FromJson(golden.Model).ToJson());
        Assert.Equal(preset.Recipe, TrainingRecipe.FromJson(golden.Recipe));
    }
}

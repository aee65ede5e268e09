using GpuAe.Data;
using GpuAe.Models;

namespace GpuAe.Cli.Commands;

/// <summary>What `--model` names: a preset (sized to the data once it is read) or a model spec FILE.json.</summary>
internal static class ModelChoice
{
    /// <summary>The recipe of a model given as a file, before --epochs, --batch and --lr: dense32's.</summary>
    private static TrainingRecipe FileRecipe => Presets.Get("dense32").Recipe;

    /// <summary>The preset <paramref name="model"/> names, or for a .json file its spec with <see cref="FileRecipe"/>.</summary>
    /// <exception cref="ModelSpecException">Unknown preset, or a spec that does not parse (the message names the file).</exception>
    public static Preset Resolve(string model)
    {
        if (!model.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return Presets.Get(model);
        if (!File.Exists(model)) throw new FileNotFoundException($"--model {model}: no such file", model);
        ModelSpec spec;
        try
        {
            spec = ModelSpec.FromJson(File.ReadAllText(model));
        }
        catch (ModelSpecException e)
        {
            throw new ModelSpecException($"--model {model}: {e.Message}");
        }
        // a spec is not resized: it takes the shape it declares, and says so when the data has another
        return new Preset(spec.Name, $"model spec {model}", spec, FileRecipe)
        {
            Sized = shape => throw new ModelSpecException(
                $"--model {model}: its input_shape is [{string.Join(", ", spec.InputShape)}], the data's samples are [{string.Join(", ", shape)}]"),
        };
    }

    /// <summary>Whether <paramref name="model"/> (a preset name, or a spec FILE.json) names <paramref name="spec"/>, the
    /// model a run was made with: a preset by its name (the run's copy may be sized to its data), a file by its content.</summary>
    public static bool Names(string model, ModelSpec spec) =>
        model.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Resolve(model).Model.ToJson() == spec.ToJson() : model == spec.Name;

    /// <summary>Checks the model takes the data's samples, and that a BCE model gets targets in [0, 1].</summary>
    public static void CheckFits(ModelSpec model, InputScaling preparation, Dataset train)
    {
        if (model.InputShape.Aggregate(1, (a, b) => a * b) != train.SampleSize)
            throw new ModelSpecException($"model {model.Name} takes samples of [{string.Join(", ", model.InputShape)}], the data's are [{string.Join(", ", preparation.SampleShape)}]");
        if (model.Loss is not (ReconstructionLoss.BinaryCrossEntropy or ReconstructionLoss.BinaryCrossEntropyOnProbabilities)) return;
        int outside = Array.FindIndex(train.Images, v => v is < 0f or > 1f);
        if (outside >= 0)
            throw new InvalidDataException(
                $"dataset '{train.Name}': sample {outside / train.SampleSize}, value {outside % train.SampleSize} is {train.Images[outside]}, outside [0, 1]; " +
                $"model {model.Name} uses binary cross-entropy, which needs [0, 1] targets: use --scale minmax, or a model with MSE loss");
    }
}

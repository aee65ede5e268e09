namespace GpuAe;

/// <summary>A model description that cannot be built, or model-spec / recipe JSON that cannot be read
/// (<see cref="Models.ModelSpec.FromJson"/>): the message names the layer or field and what was expected. It is the only
/// exception a malformed spec may cause. The message is kept to one line (a name from a file may hold a line break).</summary>
public sealed class ModelSpecException(string message) : Exception(global::GpuAe.Data.DataFormat.OneLine(message));

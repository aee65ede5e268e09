namespace GpuAe;

/// <summary>A model description that cannot be built: the message names the layer and what was expected.</summary>
public sealed class ModelSpecException(string message) : Exception(message);

namespace GpuAe.Backends;

/// <summary>A backend cannot run here (no driver, no ICD, no device); the message says what is missing.</summary>
public sealed class BackendUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

namespace Tessera.Models;

/// <summary>
/// A model file that cannot be run as written: unknown architecture, missing or inconsistent hyperparameters,
/// a tensor missing or shaped differently than the hyperparameters say. The message names the key or tensor.
/// </summary>
public sealed class ModelException(string message) : Exception(message);

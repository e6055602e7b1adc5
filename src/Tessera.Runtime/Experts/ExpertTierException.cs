namespace Tessera.Runtime.Experts;

/// <summary>An expert tier that cannot be set up as asked (a memory limit too small for one layer, more hot experts
/// than the model has); the message says which setting and why.</summary>
public sealed class ExpertTierException(string message) : Exception(message);

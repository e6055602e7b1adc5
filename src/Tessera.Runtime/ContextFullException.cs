namespace Tessera.Runtime;

/// <summary>Tokens do not fit in what is left of a session's context.</summary>
public sealed class ContextFullException(string message) : InvalidOperationException(message);

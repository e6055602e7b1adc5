namespace Tessera.Runtime.Grammars;

/// <summary>A grammar (or a JSON schema compiled to one) that cannot be used; the message says where it fails.</summary>
public sealed class GrammarException(string message) : Exception(message);

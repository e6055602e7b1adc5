namespace Tessera.Runtime.Placement;

/// <summary>A placement request that cannot be carried out (unknown device, bad option); the message says what to change.</summary>
public sealed class PlacementException(string message) : Exception(message);

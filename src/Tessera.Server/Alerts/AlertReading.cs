namespace Tessera.Server.Alerts;

/// <summary>What a rule makes of the samples: its value, whether an inactive rule should fire, whether an active one
/// should clear (the two differ where a rule keeps a hysteresis band), and the message.</summary>
public sealed record AlertReading(double? Value, bool Fire, bool Clear, string Message);

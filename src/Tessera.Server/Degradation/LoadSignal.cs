namespace Tessera.Server.Degradation;

/// <summary>What the ladder looks at: how long the oldest queued request has waited, and the p95 of recent
/// generation request durations (0 when there were none), in seconds.</summary>
public readonly record struct LoadSignal(double QueueSeconds, double P95Seconds);

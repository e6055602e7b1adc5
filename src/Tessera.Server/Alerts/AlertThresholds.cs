namespace Tessera.Server.Alerts;

/// <summary>
/// The limits of the alert rules (`alerts:` in tessera.yaml, live on SIGHUP). Defaults: memory growing over 10% across
/// 3 consecutive samples (a leak), KV fragmentation over 30%, p95 request latency over 30 s, more than 0.1% of
/// responses 5xx, accelerators busy over 95% of the time, p95 wait for a slot over 10 s; sampled every 10 s.
/// </summary>
public sealed record AlertThresholds
{
    public double IntervalSeconds { get; init; } = 10;

    /// <summary>Growth (0.10 = 10%) of resident memory across <see cref="MemoryGrowthSamples"/> steps, every one of them up.</summary>
    public double MemoryGrowth { get; init; } = 0.10;
    public int MemoryGrowthSamples { get; init; } = 3;

    /// <summary>Allocated but unused KV cells over allocated cells.</summary>
    public double KvFragmentation { get; init; } = 0.30;

    public double P95LatencySeconds { get; init; } = 30;

    /// <summary>5xx responses over all responses in one interval.</summary>
    public double ErrorRate { get; init; } = 0.001;

    /// <summary>Fraction of the interval spent in forward steps of models placed (partly) on an accelerator.</summary>
    public double DeviceUtilisation { get; init; } = 0.95;

    public double QueueTimeSeconds { get; init; } = 10;
}

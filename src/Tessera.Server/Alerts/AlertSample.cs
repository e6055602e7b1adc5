namespace Tessera.Server.Alerts;

/// <summary>
/// What the alert rules read at one moment; the windowed values cover the interval since the previous sample and are
/// null when it had nothing to measure (no requests, no accelerator).
/// </summary>
public sealed record AlertSample
{
    public required DateTimeOffset Time { get; init; }

    /// <summary>Resident anonymous memory (heap, native buffers, KV cache; not the mapped model files, which the page
    /// cache owns).</summary>
    public long MemoryBytes { get; init; }

    /// <summary>Model loads plus unloads so far: memory that moves with them is no leak.</summary>
    public long ModelChanges { get; init; }

    public double KvFragmentation { get; init; }

    public double? LatencyP95Seconds { get; init; }

    /// <summary>Responses in the interval (monitoring endpoints excluded) and those of them with a 5xx status.</summary>
    public long Responses { get; init; }
    public long ServerErrors { get; init; }

    /// <summary>Null when no loaded model runs on an accelerator.</summary>
    public double? DeviceUtilisation { get; init; }

    public double? QueueTimeP95Seconds { get; init; }
}

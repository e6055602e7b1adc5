namespace Tessera.Server.Degradation;

/// <summary>
/// When and how the server sheds load. The ladder climbs one rung after <see cref="SamplesUp"/> consecutive samples
/// over a threshold and steps down one after <see cref="SamplesDown"/> consecutive samples under
/// <see cref="RecoverFraction"/> of every threshold (hysteresis: between the two it holds its rung).
/// </summary>
public sealed record DegradationPolicy
{
    /// <summary>Off unless the operator turns it on: a ladder that rejects requests is a deployment decision.</summary>
    public bool Enabled { get; init; }

    /// <summary>Seconds the oldest queued request may wait before the ladder climbs.</summary>
    public double QueueSecondsHigh { get; init; } = 5;

    /// <summary>p95 of recent generation request durations that makes the ladder climb; 0 ignores latency.</summary>
    public double P95SecondsHigh { get; init; }

    public double RecoverFraction { get; init; } = 0.5;
    public int SamplesUp { get; init; } = 2;
    public int SamplesDown { get; init; } = 3;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Step token budget on the Shrink rung and above.</summary>
    public int ShrunkStepBudget { get; init; } = 64;

    /// <summary>Most tokens a new request generates on the Shrink rung and above.</summary>
    public int MaxTokensCap { get; init; } = 256;

    /// <summary>Whether the KvPrecision rung is taken (new requests' keys and values in Q8_0); false skips it.</summary>
    public bool KvPrecisionRung { get; init; } = true;

    /// <summary>Id of a served model that takes new generation requests on the SmallerModel rung; null skips that rung.</summary>
    public string? FallbackModel { get; init; }

    /// <summary>Retry-After of the 503s on the Reject rung.</summary>
    public int RetryAfterSeconds { get; init; } = 5;

    /// <summary>Whether the ladder passes over <paramref name="level"/> (its rung is turned off or has nothing to do).</summary>
    public bool Skips(DegradationLevel level) =>
        (level == DegradationLevel.KvPrecision && !KvPrecisionRung) || (level == DegradationLevel.SmallerModel && FallbackModel is null);

    public void Validate()
    {
        if (QueueSecondsHigh <= 0)
            throw new ArgumentOutOfRangeException(nameof(QueueSecondsHigh), QueueSecondsHigh, "the queue time threshold must be positive");
        if (P95SecondsHigh < 0)
            throw new ArgumentOutOfRangeException(nameof(P95SecondsHigh), P95SecondsHigh, "the p95 threshold must not be negative (0 ignores latency)");
        if (RecoverFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(RecoverFraction), RecoverFraction, "the recover fraction must be in (0, 1)");
        if (SamplesUp < 1 || SamplesDown < 1)
            throw new ArgumentOutOfRangeException(nameof(SamplesUp), "the ladder needs at least one sample to move");
        if (Interval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, "the sampling interval must be positive");
        if (ShrunkStepBudget < 1 || MaxTokensCap < 1 || RetryAfterSeconds < 1)
            throw new ArgumentOutOfRangeException(nameof(ShrunkStepBudget), "the shrunk step budget, the max_tokens cap and Retry-After must be positive");
    }
}

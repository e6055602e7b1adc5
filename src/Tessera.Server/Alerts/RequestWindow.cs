namespace Tessera.Server.Alerts;

/// <summary>Responses and their durations since the alert monitor last drained them (the request pipeline records
/// every response but those of the monitoring endpoints, whose polling would dilute the error rate).</summary>
public sealed class RequestWindow
{
    private long _responses;
    private long _serverErrors;

    public DurationWindow Durations { get; } = new();

    public void Record(int status, double seconds)
    {
        Interlocked.Increment(ref _responses);
        if (status >= 500)
            Interlocked.Increment(ref _serverErrors);
        Durations.Add(seconds);
    }

    /// <summary>The interval's counts and p95 duration; the next interval starts at zero.</summary>
    public (long Responses, long ServerErrors, double? P95Seconds) Drain() =>
        (Interlocked.Exchange(ref _responses, 0), Interlocked.Exchange(ref _serverErrors, 0), DurationWindow.Percentile(Durations.Drain(), 0.95));
}

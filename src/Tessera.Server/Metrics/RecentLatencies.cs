using System.Diagnostics;

namespace Tessera.Server.Metrics;

/// <summary>The durations of the most recent requests (at most <see cref="Capacity"/>), for percentiles over a recent
/// window such as the p95 that load shedding and alerts watch; thread-safe.</summary>
public sealed class RecentLatencies
{
    public const int Capacity = 512;

    private readonly (long At, double Seconds)[] _ring = new (long, double)[Capacity];
    private readonly object _gate = new();
    private int _next;
    private int _count;

    public void Observe(double seconds) => Observe(seconds, Stopwatch.GetTimestamp());

    internal void Observe(double seconds, long at)
    {
        lock (_gate)
        {
            _ring[_next] = (at, seconds);
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
        }
    }

    /// <summary>The <paramref name="quantile"/> (0..1, nearest rank) of the durations observed within
    /// <paramref name="window"/> of now; 0 when there were none.</summary>
    public double Percentile(double quantile, TimeSpan window) => Percentile(quantile, window, Stopwatch.GetTimestamp());

    internal double Percentile(double quantile, TimeSpan window, long now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        long oldest = now - (long)(window.TotalSeconds * Stopwatch.Frequency);
        var recent = new List<double>();
        lock (_gate)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_ring[i].At >= oldest)
                    recent.Add(_ring[i].Seconds);
            }
        }
        return Alerts.DurationWindow.Percentile(recent, quantile) ?? 0;
    }
}

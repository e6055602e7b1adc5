namespace Tessera.Server.Alerts;

/// <summary>
/// Durations recorded since the alert monitor last drained them (one interval); thread-safe. Beyond
/// <see cref="MaxKept"/> per interval only the count grows: the p95 of the first 64K is close enough, and memory stays bounded.
/// </summary>
public sealed class DurationWindow
{
    private const int MaxKept = 1 << 16;

    private readonly object _gate = new();
    private List<double> _seconds = [];

    public void Add(double seconds)
    {
        lock (_gate)
        {
            if (_seconds.Count < MaxKept)
                _seconds.Add(seconds);
        }
    }

    /// <summary>The durations of the interval, which starts anew.</summary>
    public IReadOnlyList<double> Drain()
    {
        lock (_gate)
        {
            var drained = _seconds;
            _seconds = [];
            return drained;
        }
    }

    /// <summary>The nearest-rank percentile (0.95 = p95) of <paramref name="values"/>, null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> values, double fraction)
    {
        if (values.Count == 0)
            return null;
        var sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

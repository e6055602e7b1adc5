using System.Globalization;
using System.Text;

namespace Tessera.Server.Metrics;

/// <summary>A Prometheus histogram of seconds with fixed upper bounds; thread-safe.</summary>
public sealed class LatencyHistogram(string name, string help, double[] upperBounds)
{
    private readonly long[] _counts = new long[upperBounds.Length];
    private readonly object _gate = new();
    private long _count;
    private double _sum;

    public long Count
    {
        get { lock (_gate) return _count; }
    }

    public void Observe(double seconds)
    {
        lock (_gate)
        {
            for (int i = 0; i < upperBounds.Length; i++)
            {
                if (seconds <= upperBounds[i])
                    _counts[i]++;
            }
            _count++;
            _sum += seconds;
        }
    }

    /// <summary>Appends the exposition lines: cumulative buckets, +Inf, sum and count.</summary>
    public void WriteTo(StringBuilder text)
    {
        lock (_gate)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(" histogram\n");
            for (int i = 0; i < upperBounds.Length; i++)
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{upperBounds[i]}\"}} {_counts[i]}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {_count}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_sum {_sum}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_count {_count}\n");
        }
    }
}

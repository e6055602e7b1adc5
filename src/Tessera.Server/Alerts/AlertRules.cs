using System.Globalization;

namespace Tessera.Server.Alerts;

/// <summary>The rules the server evaluates, by the names `/v1/status` and `tessera_alert_active{rule}` use.</summary>
public static class AlertRules
{
    public static readonly AlertRule MemoryGrowth = new("memory_growth", t => t.MemoryGrowth, ReadMemoryGrowth);

    public static readonly AlertRule KvFragmentation = AlertRule.Threshold("kv_fragmentation", t => t.KvFragmentation, s => s.KvFragmentation,
        (value, limit) => $"KV cache fragmentation {Percent(value ?? 0)} (limit {Percent(limit)})");

    public static readonly AlertRule P95Latency = AlertRule.Threshold("p95_latency", t => t.P95LatencySeconds, s => s.LatencyP95Seconds,
        (value, limit) => value is { } seconds ? $"p95 request latency {Seconds(seconds)} in the last interval (target {Seconds(limit)})" : "no requests in the last interval");

    public static readonly AlertRule ErrorRate = AlertRule.Threshold("error_rate", t => t.ErrorRate,
        s => s.Responses > 0 ? (double)s.ServerErrors / s.Responses : null,
        (value, limit) => value is { } rate ? $"{Percent(rate)} of responses were 5xx in the last interval (limit {Percent(limit)})" : "no responses in the last interval");

    public static readonly AlertRule DeviceUtilisation = AlertRule.Threshold("device_utilisation", t => t.DeviceUtilisation, s => s.DeviceUtilisation,
        (value, limit) => value is { } busy ? $"accelerated forward steps ran {Percent(busy)} of the last interval (limit {Percent(limit)})" : "no accelerator");

    public static readonly AlertRule QueueTime = AlertRule.Threshold("queue_time", t => t.QueueTimeSeconds, s => s.QueueTimeP95Seconds,
        (value, limit) => value is { } seconds ? $"p95 wait for a slot {Seconds(seconds)} in the last interval (limit {Seconds(limit)})" : "no request waited in the last interval");

    public static IReadOnlyList<AlertRule> All { get; } = [MemoryGrowth, KvFragmentation, P95Latency, ErrorRate, DeviceUtilisation, QueueTime];

    /// <summary>A leak, not a load: memory rose at each of the last N steps, by more than the threshold in all, and no
    /// model was loaded or unloaded meanwhile. The value is the growth over those steps.</summary>
    private static AlertReading ReadMemoryGrowth(IReadOnlyList<AlertSample> history, AlertThresholds thresholds)
    {
        int steps = thresholds.MemoryGrowthSamples;
        var newest = history[^1];
        if (history.Count <= steps)
            return new AlertReading(null, false, true, $"resident memory {Bytes(newest.MemoryBytes)}; collecting samples ({history.Count} of {steps + 1})");
        var window = history.Skip(history.Count - steps - 1).ToArray();
        double growth = window[0].MemoryBytes > 0 ? (double)(newest.MemoryBytes - window[0].MemoryBytes) / window[0].MemoryBytes : 0;
        bool rising = window.Zip(window.Skip(1)).All(pair => pair.Second.MemoryBytes > pair.First.MemoryBytes);
        bool modelsChanged = window[0].ModelChanges != newest.ModelChanges;
        bool leaking = rising && !modelsChanged && growth > thresholds.MemoryGrowth;
        string message = $"resident memory {Bytes(newest.MemoryBytes)}, {(growth >= 0 ? "+" : "")}{Percent(growth)} over the last {steps} samples"
            + (leaking ? ", rising at each: possible leak" : modelsChanged ? " (a model loaded or unloaded)" : "");
        return new AlertReading(growth, leaking, !leaking, message);
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Seconds(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private static string Bytes(long bytes) => (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}

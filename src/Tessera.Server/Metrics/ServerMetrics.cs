using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Tessera.Server.Metrics;

/// <summary>
/// Counters, gauges and histograms of one server, rendered in the Prometheus text format. Token rates divide tokens by
/// the time of the forward steps that processed them; a step that mixes prompt and decode tokens is split between the
/// two in proportion to their token counts.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>Latency buckets from 5 ms to 1 min: covers a decode step of a tiny model and a long prompt of a large one.</summary>
    private static readonly double[] LatencyBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly object _gate = new();
    private long _promptTokens;
    private long _generatedTokens;
    private double _promptSeconds;
    private double _generationSeconds;
    private long _steps;
    private long _reducedKvJobs;
    private readonly ConcurrentDictionary<string, long> _deviceFailures = new();

    public LatencyHistogram TimeToFirstToken { get; } =
        new("tessera_time_to_first_token_seconds", "Time from queueing a choice to its first generated token.", LatencyBounds);

    public LatencyHistogram InterTokenLatency { get; } =
        new("tessera_inter_token_latency_seconds", "Time between consecutive generated tokens of a choice.", LatencyBounds);

    /// <summary>Durations of recent generation requests (chat and text completions), for the p95 load shedding watches.</summary>
    public RecentLatencies GenerationRequests { get; } = new();
    /// <summary>Responses since the alert monitor's last sample (its error rate and p95 latency).</summary>
    public Alerts.RequestWindow RecentRequests { get; } = new();

    /// <summary>Waits from queueing to a slot since the alert monitor's last sample (its queue time rule).</summary>
    public Alerts.DurationWindow QueueWaits { get; } = new();

    public void RecordRequest(string endpoint, int status) => _requests.AddOrUpdate((endpoint, status), 1, (_, count) => count + 1);

    /// <summary>One forward step over <paramref name="promptTokens"/> prompt and <paramref name="decodeTokens"/> decode tokens.</summary>
    public void RecordStep(int promptTokens, int decodeTokens, double seconds)
    {
        int total = promptTokens + decodeTokens;
        if (total == 0)
            return;
        lock (_gate)
        {
            _steps++;
            _promptTokens += promptTokens;
            _generatedTokens += decodeTokens;
            _promptSeconds += seconds * promptTokens / total;
            _generationSeconds += seconds * decodeTokens / total;
        }
    }

    /// <summary>A job started with its keys and values in a smaller type than the cache's (the ladder's Q8_0 rung).</summary>
    public void RecordReducedKvJob() => Interlocked.Increment(ref _reducedKvJobs);

    /// <summary>A device failed and its work moved to the remaining devices.</summary>
    public void RecordFallback(string device) => _deviceFailures.AddOrUpdate(device, 1, (_, count) => count + 1);

    public long Steps
    {
        get { lock (_gate) return _steps; }
    }

    /// <summary>Seconds spent in forward steps so far, over all models.</summary>
    public double ForwardSeconds
    {
        get { lock (_gate) return _promptSeconds + _generationSeconds; }
    }

    /// <summary>The exposition text; <paramref name="scheduler"/> is null while the model is loading.</summary>
    public string Render(SchedulerGauges? scheduler, Runtime.Placement.ExecutionPlan? plan = null, Models.Experts.ExpertStatistics? experts = null,
        Runtime.Experts.ExpertTier? tier = null, Models.Experts.DeviceExperts? deviceExperts = null)
    {
        var text = new StringBuilder();
        text.Append("# HELP tessera_requests_total HTTP requests by endpoint and status.\n# TYPE tessera_requests_total counter\n");
        foreach (var ((endpoint, status), count) in _requests.OrderBy(pair => pair.Key.Endpoint, StringComparer.Ordinal).ThenBy(pair => pair.Key.Status))
            text.Append(CultureInfo.InvariantCulture, $"tessera_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}\n");
        lock (_gate)
        {
            Counter(text, "tessera_prompt_tokens_total", "Prompt tokens evaluated.", _promptTokens);
            Counter(text, "tessera_generated_tokens_total", "Tokens evaluated while generating.", _generatedTokens);
            Counter(text, "tessera_steps_total", "Batched forward steps.", _steps);
            Counter(text, "tessera_kv_q8_0_jobs_total", "Choices whose keys and values were kept in Q8_0 by load shedding.", Interlocked.Read(ref _reducedKvJobs));
            Gauge(text, "tessera_prompt_tokens_per_second", "Prompt tokens per second of forward time.", Rate(_promptTokens, _promptSeconds));
            Gauge(text, "tessera_generation_tokens_per_second", "Generated tokens per second of forward time.", Rate(_generatedTokens, _generationSeconds));
        }
        TimeToFirstToken.WriteTo(text);
        InterTokenLatency.WriteTo(text);
        if (scheduler is { } gauges)
        {
            Gauge(text, "tessera_queue_length", "Choices waiting for a slot.", gauges.QueueLength);
            Gauge(text, "tessera_slots_busy", "Slots generating.", gauges.BusySlots);
            Gauge(text, "tessera_slots_total", "Slots.", gauges.TotalSlots);
            Gauge(text, "tessera_kv_cells_used", "KV cache cells held by busy slots.", gauges.CellsUsed);
            Gauge(text, "tessera_kv_cells_cached", "KV cache cells kept for prefix reuse (idle slots and the prefix cache).", gauges.CellsCached);
            Gauge(text, "tessera_kv_cells_total", "KV cache cells.", gauges.CellsTotal);
            Gauge(text, "tessera_kv_cells_allocated", "Cells of the KV pages busy slots hold.", gauges.CellsAllocated);
            Gauge(text, "tessera_kv_pages_used", "KV pages held by sequences or the prefix cache.", gauges.PagesUsed);
            Gauge(text, "tessera_kv_pages_free", "KV pages free.", gauges.PagesTotal - gauges.PagesUsed);
            Gauge(text, "tessera_kv_pages_total", "KV pages in the pool.", gauges.PagesTotal);
            Gauge(text, "tessera_kv_fragmentation", "Allocated but unused KV cells over allocated cells.", gauges.KvFragmentation);
            Gauge(text, "tessera_prefix_cache_pages", "KV pages the prefix cache keeps.", gauges.PrefixCachedPages);
            Counter(text, "tessera_prefix_cache_evictions_total", "KV pages the prefix cache evicted to make room.", gauges.PrefixEvictions);
        }
        text.Append("# HELP tessera_device_failures_total Device failures, each followed by a fallback to the remaining devices.\n# TYPE tessera_device_failures_total counter\n");
        foreach (var (device, count) in _deviceFailures.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"tessera_device_failures_total{{device=\"{device}\"}} {count}\n");
        Counter(text, "tessera_device_fallbacks_total", "Fallbacks carried out (requests kept running on the remaining devices).", _deviceFailures.Values.Sum());
        if (plan is not null)
            PlanMetrics.WriteTo(text, plan);
        if (experts is not null)
            PlanMetrics.WriteExperts(text, experts);
        if (tier is not null)
            PlanMetrics.WriteExpertTier(text, tier);
        if (deviceExperts is not null)
            PlanMetrics.WriteDeviceExperts(text, deviceExperts);
        return text.ToString();
    }

    private static double Rate(long tokens, double seconds) => seconds > 0 ? tokens / seconds : 0;

    private static void Counter(StringBuilder text, string name, string help, double value) => Write(text, name, help, "counter", value);

    private static void Gauge(StringBuilder text, string name, string help, double value) => Write(text, name, help, "gauge", value);

    private static void Write(StringBuilder text, string name, string help, string type, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}

/// <summary>The scheduler's state at one moment. Cells are KV token positions: used by running sequences, cached
/// for reuse, in the pool; <see cref="CellsAllocated"/> counts the cells of the pages running sequences hold.</summary>
public sealed record SchedulerGauges(int QueueLength, int BusySlots, int TotalSlots, long CellsUsed, long CellsCached, long CellsTotal)
{
    /// <summary>Cells of the KV pages held by running sequences (whole pages, so at least <see cref="CellsUsed"/>).</summary>
    public long CellsAllocated { get; init; }

    /// <summary>KV pages in use (by sequences or the prefix cache) and in the pool.</summary>
    public long PagesUsed { get; init; }
    public long PagesTotal { get; init; }

    /// <summary>Pages the prefix cache keeps, and pages it evicted so far.</summary>
    public long PrefixCachedPages { get; init; }
    public long PrefixEvictions { get; init; }

    /// <summary>Allocated but unused cells over allocated cells (0 when nothing is allocated).</summary>
    public double KvFragmentation => CellsAllocated == 0 ? 0 : (double)(CellsAllocated - CellsUsed) / CellsAllocated;

    /// <summary>The gauges of several schedulers (one per loaded model) added up; null when there are none.</summary>
    public static SchedulerGauges? Sum(IEnumerable<SchedulerGauges> all) => all.Aggregate((SchedulerGauges?)null, (sum, g) => sum is null ? g
        : new(sum.QueueLength + g.QueueLength, sum.BusySlots + g.BusySlots, sum.TotalSlots + g.TotalSlots,
            sum.CellsUsed + g.CellsUsed, sum.CellsCached + g.CellsCached, sum.CellsTotal + g.CellsTotal)
        {
            CellsAllocated = sum.CellsAllocated + g.CellsAllocated,
            PagesUsed = sum.PagesUsed + g.PagesUsed,
            PagesTotal = sum.PagesTotal + g.PagesTotal,
            PrefixCachedPages = sum.PrefixCachedPages + g.PrefixCachedPages,
            PrefixEvictions = sum.PrefixEvictions + g.PrefixEvictions,
        });
}

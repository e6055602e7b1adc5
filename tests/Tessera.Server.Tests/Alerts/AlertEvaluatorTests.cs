using Tessera.Server.Alerts;

namespace Tessera.Server.Tests.Alerts;

/// <summary>Every rule fires and clears on scripted samples.</summary>
public sealed class AlertEvaluatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly AlertThresholds Defaults = new();

    /// <summary>Samples 10 s apart, each made from the previous by <paramref name="change"/>.</summary>
    private static AlertSample[] Samples(int count, Func<int, AlertSample, AlertSample> change)
    {
        var samples = new AlertSample[count];
        var sample = new AlertSample { Time = Start, MemoryBytes = 1000 << 20 };
        for (int i = 0; i < count; i++)
            samples[i] = sample = change(i, sample with { Time = Start.AddSeconds(10 * i) });
        return samples;
    }

    private static AlertState[] States(string rule, IEnumerable<AlertSample> samples, AlertThresholds? thresholds = null) =>
        AlertEvaluator.Run(samples, thresholds ?? Defaults).Select(states => states.Single(state => state.Rule == rule)).ToArray();

    [Fact]
    public void Memory_growing_over_10_percent_at_each_of_3_samples_is_a_leak_until_it_stops_rising()
    {
        long[] megabytes = [1000, 1040, 1080, 1120, 1120, 1100];
        var states = States("memory_growth", Samples(megabytes.Length, (i, s) => s with { MemoryBytes = megabytes[i] << 20 }));

        Assert.Equal([false, false, false, true, false, false], states.Select(s => s.Active));
        Assert.Equal(0.12, states[3].Value!.Value, 6);
        Assert.Equal(Start.AddSeconds(30), states[3].Since);
        Assert.Contains("possible leak", states[3].Message);
        Assert.Contains("collecting samples", states[0].Message);
        Assert.Null(states[0].Value);
    }

    [Fact]
    public void Memory_growth_under_the_threshold_or_with_a_dip_does_not_fire()
    {
        long[] slow = [1000, 1020, 1040, 1060];
        Assert.DoesNotContain(States("memory_growth", Samples(4, (i, s) => s with { MemoryBytes = slow[i] << 20 })), s => s.Active);
        long[] dip = [1000, 1100, 1090, 1300];
        Assert.DoesNotContain(States("memory_growth", Samples(4, (i, s) => s with { MemoryBytes = dip[i] << 20 })), s => s.Active);
    }

    [Fact]
    public void Memory_that_grows_with_a_model_load_is_no_leak()
    {
        long[] megabytes = [1000, 1100, 1200, 1300];
        var states = States("memory_growth", Samples(4, (i, s) => s with { MemoryBytes = megabytes[i] << 20, ModelChanges = i >= 2 ? 1 : 0 }));
        Assert.DoesNotContain(states, s => s.Active);
        Assert.Contains("a model loaded or unloaded", states[^1].Message);
    }

    [Fact]
    public void The_memory_window_follows_the_configured_sample_count()
    {
        long[] megabytes = [1000, 1100, 1200];
        var thresholds = Defaults with { MemoryGrowthSamples = 2 };
        var states = States("memory_growth", Samples(3, (i, s) => s with { MemoryBytes = megabytes[i] << 20 }), thresholds);
        Assert.Equal([false, false, true], states.Select(s => s.Active));
    }

    [Fact]
    public void KV_fragmentation_fires_over_30_percent_and_clears_below_the_hysteresis_band()
    {
        double[] values = [0.1, 0.35, 0.28, 0.26, 0.5];
        var states = States("kv_fragmentation", Samples(values.Length, (i, s) => s with { KvFragmentation = values[i] }));
        // 0.28 is under the threshold but inside the band (above 0.27): it stays active.
        Assert.Equal([false, true, true, false, true], states.Select(s => s.Active));
        Assert.Equal(Start.AddSeconds(10), states[2].Since);
        Assert.Equal(Start.AddSeconds(40), states[4].Since);
        Assert.Equal((0.35, 0.3), (states[1].Value, states[1].Threshold));
    }

    [Fact]
    public void P95_latency_fires_over_its_target_and_clears_when_requests_stop()
    {
        double?[] values = [1, 31, 45, null];
        var states = States("p95_latency", Samples(values.Length, (i, s) => s with { LatencyP95Seconds = values[i] }));
        Assert.Equal([false, true, true, false], states.Select(s => s.Active));
        Assert.Equal("no requests in the last interval", states[3].Message);
        Assert.Null(states[3].Since);
    }

    [Fact]
    public void Error_rate_fires_over_one_in_a_thousand_responses()
    {
        (long Responses, long Errors)[] windows = [(2000, 1), (1000, 5), (0, 0), (5000, 2)];
        var states = States("error_rate", Samples(windows.Length, (i, s) => s with { Responses = windows[i].Responses, ServerErrors = windows[i].Errors }));
        Assert.Equal([false, true, false, false], states.Select(s => s.Active));
        Assert.Equal(0.005, states[1].Value);
        Assert.Null(states[2].Value);
    }

    [Fact]
    public void Device_utilisation_fires_over_its_limit_and_stays_inactive_without_an_accelerator()
    {
        double?[] values = [null, 0.5, 0.97, 0.8];
        var states = States("device_utilisation", Samples(values.Length, (i, s) => s with { DeviceUtilisation = values[i] }));
        Assert.Equal([false, false, true, false], states.Select(s => s.Active));
        Assert.Equal("no accelerator", states[0].Message);
    }

    [Fact]
    public void Queue_time_fires_over_its_limit_and_clears()
    {
        double?[] values = [2, 12, 3];
        var states = States("queue_time", Samples(values.Length, (i, s) => s with { QueueTimeP95Seconds = values[i] }), Defaults);
        Assert.Equal([false, true, false], states.Select(s => s.Active));
        var custom = States("queue_time", Samples(1, (_, s) => s with { QueueTimeP95Seconds = 2 }), Defaults with { QueueTimeSeconds = 1 });
        Assert.True(custom[0].Active);
        Assert.Equal(1, custom[0].Threshold);
    }

    [Fact]
    public void Every_rule_is_evaluated_in_order()
    {
        var states = AlertEvaluator.Run([new AlertSample { Time = Start }], Defaults).Single();
        Assert.Equal(["memory_growth", "kv_fragmentation", "p95_latency", "error_rate", "device_utilisation", "queue_time"], states.Select(s => s.Rule));
        Assert.DoesNotContain(states, s => s.Active);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        Assert.Null(DurationWindow.Percentile([], 0.95));
        Assert.Equal(95, DurationWindow.Percentile(Enumerable.Range(1, 100).Select(i => (double)i).ToArray(), 0.95));
        Assert.Equal(7, DurationWindow.Percentile([7], 0.95));
    }
}

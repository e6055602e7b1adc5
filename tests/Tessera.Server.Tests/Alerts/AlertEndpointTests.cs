using System.Net;
using System.Text.Json;
using Tessera.Server.Alerts;

namespace Tessera.Server.Tests.Alerts;

/// <summary>The alert states over HTTP: `/v1/status` (behind the API key), `tessera_alert_*` in `/metrics`, and
/// `/health` still a plain liveness check.</summary>
public sealed class AlertEndpointTests
{
    private const string Key = "alert-key";

    /// <summary>Latency and queue-time limits no request can meet, evaluated every second (a rule stays active until the next tick, long enough to see), so those rules fire after one request.</summary>
    private static Task<TestServer> StartAsync() => TestServer.StartAsync(apiKey: Key,
        configure: options => options with { Alerts = new AlertThresholds { IntervalSeconds = 1, P95LatencySeconds = 1e-6, QueueTimeSeconds = 1e-9 } });

    private static async Task<JsonElement> WaitUntilActiveAsync(TestServer server, string rule)
    {
        var deadline = DateTime.UtcNow + TestServer.Timeout;
        JsonElement state;
        while (!(state = await RuleAsync(server, rule)).GetProperty("active").GetBoolean())
        {
            Assert.True(DateTime.UtcNow < deadline, state.ToString());
            await Task.Delay(20);
        }
        return state;
    }

    private static async Task<JsonElement> RuleAsync(TestServer server, string rule)
    {
        using var status = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/status"));
        return status.RootElement.GetProperty("alerts").EnumerateArray().Single(alert => alert.GetProperty("rule").GetString() == rule).Clone();
    }

    [Fact]
    public async Task Status_and_metrics_show_each_rule_and_a_rule_that_fires()
    {
        await using var server = await StartAsync();
        var fragmentation = await RuleAsync(server, "kv_fragmentation");
        Assert.False(fragmentation.GetProperty("active").GetBoolean());
        Assert.Equal(0.3, fragmentation.GetProperty("threshold").GetDouble());
        Assert.Equal(JsonValueKind.Null, fragmentation.GetProperty("since").ValueKind);
        Assert.Equal("no accelerator", (await RuleAsync(server, "device_utilisation")).GetProperty("message").GetString());

        // Both windows hold the request: the pipeline timed it, the scheduler timed its wait for a slot.
        await server.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":2}""");
        var latency = await WaitUntilActiveAsync(server, "p95_latency");
        var queue = await WaitUntilActiveAsync(server, "queue_time");
        Assert.True(latency.GetProperty("value").GetDouble() > 1e-6);
        Assert.True(queue.GetProperty("value").GetDouble() > 0);
        Assert.True(DateTimeOffset.TryParse(latency.GetProperty("since").GetString(), out _));

        string metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains("tessera_alert_active{rule=\"p95_latency\"} 1\n", metrics);
        Assert.Contains("tessera_alert_active{rule=\"kv_fragmentation\"} 0\n", metrics);
        Assert.Contains("tessera_alert_threshold{rule=\"error_rate\"} 0.001\n", metrics);
        Assert.Matches("tessera_alert_value\\{rule=\"memory_growth\"\\} (NaN|[-0-9.E]+)\n", metrics);
    }

    [Fact]
    public async Task Status_needs_the_key_and_health_stays_a_plain_liveness_check()
    {
        await using var server = await StartAsync();
        using var anonymous = new HttpClient { BaseAddress = server.Server.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/status")).StatusCode);
        using var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Other_parts_add_sections_to_the_status()
    {
        var report = new Hosting.StatusReport();
        report.AddSection("alerts", writer => AlertReport.WriteJson(writer, []));
        report.AddSection("degradation", writer => { writer.WriteStartObject(); writer.WriteBoolean("degraded", false); writer.WriteEndObject(); });
        Assert.Equal("""{"alerts":[],"degradation":{"degraded":false}}""", System.Text.Encoding.UTF8.GetString(report.Render()));
        Assert.Throws<ArgumentException>(() => report.AddSection("alerts", _ => { }));
    }
}

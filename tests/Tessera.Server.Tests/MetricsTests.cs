using Tessera.Testing;
using System.Globalization;

namespace Tessera.Server.Tests;

/// <summary>/metrics in the Prometheus text format.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_count_requests_tokens_latencies_and_cache()
    {
        await using var server = await TestServer.StartAsync(parallel: 3, contextSize: 256);
        await server.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":7,"temperature":0}""");
        await server.PostJsonAsync("/v1/completions", """{"prompt":5}""", 400);

        using var response = await server.Http.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("tessera_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 1\n", text);
        Assert.Contains("tessera_requests_total{endpoint=\"/v1/completions\",status=\"400\"} 1\n", text);
        Assert.Equal(Reference.TextPrompt("Once upon a time").Length, await server.MetricAsync("tessera_prompt_tokens_total"));
        // The last sampled token ends the request without being evaluated, so 7 tokens cost 6 decode evaluations.
        Assert.Equal(6, await server.MetricAsync("tessera_generated_tokens_total"));
        Assert.True(await server.MetricAsync("tessera_prompt_tokens_per_second") > 0);
        Assert.True(await server.MetricAsync("tessera_generation_tokens_per_second") > 0);
        Assert.Equal(1, await server.MetricAsync("tessera_time_to_first_token_seconds_count"));
        Assert.Equal(6, await server.MetricAsync("tessera_inter_token_latency_seconds_count"));
        Assert.Contains("tessera_time_to_first_token_seconds_bucket{le=\"+Inf\"} 1\n", text);
        Assert.Equal(3, await server.MetricAsync("tessera_slots_total"));
        Assert.Equal(0, await server.MetricAsync("tessera_slots_busy"));
        Assert.Equal(0, await server.MetricAsync("tessera_queue_length"));
        Assert.Equal(0, await server.MetricAsync("tessera_kv_cells_used"));
        Assert.Equal(3 * 256, await server.MetricAsync("tessera_kv_cells_total"));
        // The idle slot keeps prompt + evaluated tokens for prefix reuse.
        Assert.Equal(Reference.TextPrompt("Once upon a time").Length + 6, await server.MetricAsync("tessera_kv_cells_cached"));
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith('#')))
            Assert.True(double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out _), line);
    }

    [Fact]
    public async Task Metrics_of_a_moe_model_show_each_layers_top_experts_and_entropy()
    {
        await using var server = await TestServer.StartAsync(model: "syn-mixtral-Q4_0.gguf", parallel: 2, contextSize: 128);
        await server.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":5,"temperature":0}""");
        string text = await server.Http.GetStringAsync("/metrics");
        // Two layers of 8 experts, 2 chosen per token: each layer lists its 4 most chosen experts.
        var selections = text.Split('\n').Where(l => l.StartsWith("tessera_moe_expert_selections_total{layer=\"0\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, selections.Count);
        var counts = selections.Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(counts.OrderByDescending(c => c), counts);
        Assert.True(counts[0] > 0);
        double entropy = await server.MetricAsync("tessera_moe_routing_entropy_bits{layer=\"1\"}");
        Assert.InRange(entropy, 0.01, 3.0);
    }

    [Fact]
    public async Task An_expert_tier_reports_where_each_choice_found_its_expert()
    {
        using var folder = new TempFolder();
        await using var server = await TestServer.StartAsync(model: "syn-mixtral-Q4_0.gguf", parallel: 2, contextSize: 128,
            configure: o => o with { ExpertTier = new Runtime.Experts.ExpertTierOptions { HotExperts = 3, SeedFile = Path.Combine(folder.Path, "stats.json") } });
        await server.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":5,"temperature":0}""");
        Assert.Equal(3, await server.MetricAsync("tessera_moe_hot_experts"));
        double resident = await server.MetricAsync("tessera_moe_expert_choices_total{tier=\"resident\"}");
        double readAhead = await server.MetricAsync("tessera_moe_expert_choices_total{tier=\"read_ahead\"}");
        double missed = await server.MetricAsync("tessera_moe_expert_choices_total{tier=\"missed\"}");
        // Two layers, two experts per token: every choice is counted once, wherever it found its expert.
        double choices = resident + readAhead + missed;
        Assert.True(choices > 0 && choices % 4 == 0, $"{resident} + {readAhead} + {missed} choices");
        Assert.True(resident > 0, "no choice found a resident expert");
    }

    [OpenClFact]
    public async Task Hot_experts_on_an_accelerator_show_where_the_choices_ran()
    {
        await using var server = await TestServer.StartAsync(model: "syn-mixtral-Q4_0.gguf", parallel: 2, contextSize: 128,
            configure: o => o with { ExpertDevice = new Runtime.Experts.ExpertDeviceOptions { Device = "opencl", MemoryBytes = 1 << 20 } });
        // The copies are made in the background: ask until one has been used (each answer is the same either way).
        double onDevice = 0;
        for (int i = 0; i < 50 && onDevice == 0; i++)
        {
            await server.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":3,"temperature":0}""");
            onDevice = await server.MetricAsync("tessera_moe_device_choices_total{device=\"opencl\",on=\"device\"}");
        }
        Assert.True(onDevice > 0, "no expert choice ran on the accelerator");
        Assert.InRange(await server.MetricAsync("tessera_moe_device_expert_bytes{device=\"opencl\"}"), 1, 1 << 20);
        Assert.True(await server.MetricAsync("tessera_moe_device_hot_experts{device=\"opencl\"}") >= 1);
    }
}

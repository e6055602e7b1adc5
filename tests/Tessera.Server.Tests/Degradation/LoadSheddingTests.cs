using System.Net;
using System.Text;
using System.Text.Json;
using Tessera.Server.Degradation;
using Tessera.Server.Hosting;
using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Server.Tests.Degradation;

/// <summary>What each rung of the ladder does to new requests, and the ladder under a real overload.</summary>
public sealed class LoadSheddingTests
{
    private const string Small = "syn-qwen2-Q8_0";

    private static string Completion(int maxTokens, string? model = null) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = model ?? TestServer.StoriesId,
        ["prompt"] = "Once upon a time",
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["logit_bias"] = new Dictionary<string, int> { [Reference.Tokenizer.EosId!.Value.ToString()] = -100 },
    });

    [Fact]
    public async Task Each_rung_shrinks_routes_or_rejects_new_requests_and_stepping_down_restores_them()
    {
        var policy = new DegradationPolicy { QueueSecondsHigh = 1, SamplesUp = 1, SamplesDown = 1, MaxTokensCap = 5, ShrunkStepBudget = 16, FallbackModel = Small };
        await using var server = await TestServer.StartAsync(configure: options => options with
        {
            AdditionalModels = [new ModelSource(Small, SharedData.Model(Small + ".gguf"))],
            Degradation = policy,   // not enabled: no timer, the test moves the ladder
        });
        var shedding = server.Server.State.Shedding;
        var scheduler = server.Server.State.Model!.Scheduler;
        var busy = new LoadSignal(5, 0);
        var calm = new LoadSignal(0, 0);

        var normal = await server.PostJsonAsync("/v1/completions", Completion(12));
        Assert.Equal(12, normal.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        shedding.Evaluate(busy);
        Assert.Equal(DegradationLevel.Shrink, shedding.Level);
        Assert.Equal(16, scheduler.StepTokenCap);
        var capped = await server.PostJsonAsync("/v1/completions", Completion(12));
        Assert.Equal(5, capped.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", capped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(1, await server.MetricAsync("tessera_degradation_level"));

        using (var status = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/status")))
        {
            var degradation = status.RootElement.GetProperty("degradation");
            Assert.Equal("shrink", degradation.GetProperty("rung").GetString());
            Assert.Equal(5, degradation.GetProperty("max_tokens_cap").GetInt32());
            Assert.True(status.RootElement.TryGetProperty("alerts", out _));
        }

        // The KV rung: stories260K's heads (8 wide) cannot be Q8_0 blocks, so its requests keep F16 cells and still answer.
        shedding.Evaluate(busy);
        Assert.Equal(DegradationLevel.KvPrecision, shedding.Level);
        Assert.Equal(2, await server.MetricAsync("tessera_degradation_level"));
        Assert.Equal(5, (await server.PostJsonAsync("/v1/completions", Completion(12))).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, await server.MetricAsync("tessera_kv_q8_0_jobs_total"));

        shedding.Evaluate(busy);
        Assert.Equal(DegradationLevel.SmallerModel, shedding.Level);
        var routed = await server.PostJsonAsync("/v1/completions", Completion(3));
        Assert.Equal(Small, routed.GetProperty("model").GetString());

        shedding.Evaluate(busy);
        Assert.Equal(DegradationLevel.Reject, shedding.Level);
        using (var refused = await server.PostAsync("/v1/completions", Completion(3)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(policy.RetryAfterSeconds), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("shedding load", await refused.Content.ReadAsStringAsync());
        }
        // Other endpoints still answer.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v1/models")).StatusCode);

        for (int i = 0; i < 4; i++)
            shedding.Evaluate(calm);
        Assert.Equal(DegradationLevel.Normal, shedding.Level);
        Assert.Null(scheduler.StepTokenCap);
        var restored = await server.PostJsonAsync("/v1/completions", Completion(12));
        Assert.Equal(12, restored.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(TestServer.StoriesId, restored.GetProperty("model").GetString());
        Assert.Equal(8, await server.MetricAsync("tessera_degradation_transitions_total"));
    }

    [Fact]
    public async Task Under_a_scripted_overload_the_ladder_climbs_and_comes_back_and_every_request_gets_an_answer_or_a_clean_503()
    {
        var policy = new DegradationPolicy
        {
            Enabled = true, QueueSecondsHigh = 0.1, SamplesUp = 1, SamplesDown = 2, Interval = TimeSpan.FromMilliseconds(50), MaxTokensCap = 20,
        };
        await using var server = await TestServer.StartAsync(parallel: 1, maxQueue: 32, configure: options => options with { Degradation = policy });
        var levels = new List<double>();
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                levels.Add(await server.MetricAsync("tessera_degradation_level"));
                await Task.Delay(25);
            }
        });

        // Waves of eight long requests on one slot: the queue waits grow past the threshold.
        var outcomes = new List<(HttpStatusCode Status, string Body, TimeSpan? RetryAfter)>();
        for (int wave = 0; wave < 3; wave++)
        {
            outcomes.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                using var response = await server.PostAsync("/v1/completions", Completion(400));
                return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter?.Delta);
            })));
        }
        await server.WaitForMetricAsync("tessera_degradation_level", 0);
        await watching.CancelAsync();
        await watcher;

        Assert.Contains(levels, level => level >= 1);
        Assert.True(await server.MetricAsync("tessera_degradation_transitions_total") >= 2, "the ladder did not climb and come back");
        foreach (var (status, body, retryAfter) in outcomes)
        {
            if (status == HttpStatusCode.OK)
            {
                var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
                Assert.Equal("length", choice.GetProperty("finish_reason").GetString());   // a whole answer, as long as allowed
                Assert.NotEmpty(choice.GetProperty("text").GetString()!);
            }
            else
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                Assert.NotNull(retryAfter);
            }
        }
        Assert.Contains(outcomes, outcome => outcome.Status == HttpStatusCode.OK);
    }

    [Fact]
    public async Task On_the_KV_rung_new_requests_keep_Q8_0_cells_and_running_ones_keep_theirs()
    {
        const string model = "syn-llama-F16";   // heads 32 wide: one Q8_0 block each
        var policy = new DegradationPolicy { QueueSecondsHigh = 1, SamplesUp = 1, SamplesDown = 1 };
        await using var server = await TestServer.StartAsync(model: model + ".gguf", parallel: 2, contextSize: 512,
            configure: options => options with { Degradation = policy });
        var shedding = server.Server.State.Shedding;
        var cache = server.Server.State.Model!.Context.Cache;
        string Request(int maxTokens) => JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = maxTokens, temperature = 0 });

        // A long request starts on the normal rung; the ladder climbs while it runs.
        var running = server.PostAsync("/v1/completions", Request(400));
        await server.WaitForMetricAsync("tessera_slots_busy", 1);
        shedding.Evaluate(new LoadSignal(5, 0));
        shedding.Evaluate(new LoadSignal(5, 0));
        Assert.Equal(DegradationLevel.KvPrecision, shedding.Level);
        using (var status = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/status")))
        {
            var degradation = status.RootElement.GetProperty("degradation");
            Assert.Equal("kv_q8_0", degradation.GetProperty("rung").GetString());
            Assert.Equal("q8_0", degradation.GetProperty("kv_cache_type").GetString());
        }

        var reduced = await server.PostJsonAsync("/v1/completions", Request(8));
        Assert.Equal(8, reduced.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(1, await server.MetricAsync("tessera_kv_q8_0_jobs_total"));
        // One slot now keeps Q8_0 cells; the running request kept its F16 ones and finishes whole.
        Assert.Equal([GgmlType.F16, GgmlType.Q8_0], Enumerable.Range(0, 2).Select(cache.SequenceType).Order().ToArray());
        using (var response = await running)
        {
            var choice = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0];
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "length", "stop" });
        }

        // Back on the normal rung, new requests keep F16 cells again.
        shedding.Evaluate(new LoadSignal(0, 0));
        shedding.Evaluate(new LoadSignal(0, 0));
        Assert.Equal(DegradationLevel.Normal, shedding.Level);
        await server.PostJsonAsync("/v1/completions", Request(8));
        await server.PostJsonAsync("/v1/completions", Request(8));
        Assert.Equal(1, await server.MetricAsync("tessera_kv_q8_0_jobs_total"));
    }
}

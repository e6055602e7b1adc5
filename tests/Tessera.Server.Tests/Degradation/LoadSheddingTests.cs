using System.Net;
using System.Text;
using System.Text.Json;
using Tessera.Server.Degradation;
using Tessera.Server.Hosting;
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

        for (int i = 0; i < 3; i++)
            shedding.Evaluate(calm);
        Assert.Equal(DegradationLevel.Normal, shedding.Level);
        Assert.Null(scheduler.StepTokenCap);
        var restored = await server.PostJsonAsync("/v1/completions", Completion(12));
        Assert.Equal(12, restored.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(TestServer.StoriesId, restored.GetProperty("model").GetString());
        Assert.Equal(6, await server.MetricAsync("tessera_degradation_transitions_total"));
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
}

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>The bounded queue, cancellation on client disconnect, and freeing of slots.</summary>
public sealed class OverloadTests
{
    /// <summary>A streaming completion that cannot end early: the end-of-sequence token is banned.</summary>
    private static string LongStream(int maxTokens) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = TestServer.StoriesId,
        ["prompt"] = "Once upon a time",
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["stream"] = true,
        ["logit_bias"] = new Dictionary<string, int> { [Reference.Tokenizer.EosId!.Value.ToString()] = -100 },
    });

    private static HttpRequestMessage Post(string json) => new(HttpMethod.Post, "/v1/completions")
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    [Fact]
    public async Task Two_slots_and_a_queue_of_two_serve_four_of_twenty_and_refuse_the_rest_quickly()
    {
        await using var server = await TestServer.StartAsync(parallel: 2, maxQueue: 2, contextSize: 2048);
        // Long enough that the first four are still running when the last of the twenty arrives.
        string body = LongStream(1000);
        var clock = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            var response = await server.Http.SendAsync(Post(body), HttpCompletionOption.ResponseHeadersRead);
            return (Response: response, Elapsed: clock.Elapsed);
        }));
        try
        {
            var served = responses.Where(r => r.Response.StatusCode == HttpStatusCode.OK).ToList();
            var refused = responses.Where(r => r.Response.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
            Assert.Equal(4, served.Count);
            Assert.Equal(16, refused.Count);
            foreach (var (response, elapsed) in refused)
            {
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 without Retry-After");
                Assert.True(elapsed < TimeSpan.FromSeconds(15), $"a 503 took {elapsed}");
                var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
                Assert.Equal("server_overloaded", error.GetProperty("code").GetString());
            }
            foreach (var (response, _) in served)
            {
                var (events, done) = await SseReader.ReadAllAsync(response);
                Assert.True(done);
                Assert.Equal("length", events[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
            }
        }
        finally
        {
            foreach (var (response, _) in responses)
                response.Dispose();
        }
        await server.WaitForMetricAsync("tessera_slots_busy", 0);
        await server.WaitForMetricAsync("tessera_queue_length", 0);
    }

    [Fact]
    public async Task Aborting_a_stream_frees_its_slot_every_time()
    {
        await using var server = await TestServer.StartAsync(parallel: 2, maxQueue: 2, contextSize: 2048);
        string body = LongStream(2000);
        for (int round = 0; round < 100; round++)
        {
            using (var response = await server.Http.SendAsync(Post(body), HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                int chunks = 0;
                while (chunks < 3 && await reader.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith("data: {", StringComparison.Ordinal))
                        chunks++;
                }
                Assert.Equal(3, chunks);
            }
            // Disposing the unfinished response closes the connection; the slot must come free without finishing 2000 tokens.
            await server.WaitForMetricAsync("tessera_slots_busy", 0);
        }
        Assert.Equal(0, await server.MetricAsync("tessera_kv_cells_used"));
        Assert.Equal(0, await server.MetricAsync("tessera_queue_length"));
        double generated = await server.MetricAsync("tessera_generated_tokens_total");
        Assert.True(generated < 100 * 2000 / 4, $"{generated} tokens generated: aborted streams kept running");
        var after = await server.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":5,"temperature":0}""");
        Assert.Equal(5, after.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_client_leaving_a_whole_response_request_frees_its_slot()
    {
        await using var server = await TestServer.StartAsync(parallel: 2, contextSize: 2048);
        using var leave = new CancellationTokenSource();
        var request = server.PostAsync("/v1/completions", LongStream(2000).Replace("\"stream\":true", "\"stream\":false"), leave.Token);
        await server.WaitForMetricAsync("tessera_slots_busy", 1);
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await server.WaitForMetricAsync("tessera_slots_busy", 0);
        Assert.True(await server.MetricAsync("tessera_generated_tokens_total") < 2000, "the abandoned request ran to its end");
    }

    /// <summary>2000 tokens take far longer than 50 ms on any CPU this runs on (it would need 40 000 tokens/s).</summary>
    private static Task<TestServer> StartWithShortTimeoutAsync() => TestServer.StartAsync(parallel: 1, contextSize: 2048,
        configure: options => options with { RequestTimeout = TimeSpan.FromMilliseconds(50) });

    [Fact]
    public async Task A_request_over_the_timeout_is_cancelled_with_504()
    {
        await using var server = await StartWithShortTimeoutAsync();
        using var response = await server.PostAsync("/v1/completions", LongStream(2000).Replace("\"stream\":true", "\"stream\":false"));
        Assert.Equal(504, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("timeout", error.GetProperty("code").GetString());
        await server.WaitForMetricAsync("tessera_slots_busy", 0);
    }

    [Fact]
    public async Task A_stream_over_the_timeout_ends_with_one_error_event()
    {
        await using var server = await StartWithShortTimeoutAsync();
        using var response = await server.PostAsync("/v1/completions", LongStream(2000));
        Assert.Equal(200, (int)response.StatusCode);
        var (events, done) = await SseReader.ReadAllAsync(response);
        Assert.False(done);
        Assert.Equal("timeout", events[^1].GetProperty("error").GetProperty("code").GetString());
        Assert.Single(events, e => e.TryGetProperty("error", out _));
        await server.WaitForMetricAsync("tessera_slots_busy", 0);
    }
}

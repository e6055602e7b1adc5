using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>
/// The server's paged KV cache under its three promises: a prompt prefix computed by any earlier request is reused
/// (only the suffix is computed, and the answer is what it would be without sharing); a pool too small for every slot
/// evicts cached prefixes without corrupting running sequences; and a long prompt is prefilled in chunks of the step
/// budget, so other streams keep getting a token every step meanwhile.
/// </summary>
public sealed class PagedCacheTests
{
    private static readonly string[] Sentences =
    [
        "Tom had a red ball and he liked to play with it in the park.",
        "One day the sun was hot, so Lily went to the pond with her mom.",
        "The little dog ran after a big cat, but the cat was too fast.",
        "Sue found a shiny box under the tree and showed it to her friend.",
        "They ate cake and sang songs until the moon came up in the sky.",
    ];

    /// <summary>Stories-like text of at least <paramref name="tokens"/> tokens (sentences in a seeded order).</summary>
    private static string Story(int tokens, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("Once upon a time");
        while (Reference.Tokenizer.Encode(text.ToString()).Length < tokens)
            text.Append(' ').Append(Sentences[random.Next(Sentences.Length)]);
        return text.ToString();
    }

    private static string Completion(string prompt, int maxTokens, bool cachePrompt = true) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = TestServer.StoriesId,
        ["prompt"] = prompt,
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["cache_prompt"] = cachePrompt,
    });

    private static string Text(JsonElement response) => response.GetProperty("choices")[0].GetProperty("text").GetString()!;

    private static int Usage(JsonElement response, string field) => field == "cached_tokens"
        ? response.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32()
        : response.GetProperty("usage").GetProperty(field).GetInt32();

    [Fact]
    public async Task Requests_sharing_a_1000_token_prefix_compute_only_their_suffixes_and_answer_as_without_sharing()
    {
        await using var server = await TestServer.StartAsync(parallel: 4, contextSize: 1280);
        string prefix = Story(1000, seed: 7);
        string[] suffixes = [" Then the dog", " After that, Lily said", " The end of the day was"];
        var alone = new List<string>();
        foreach (string suffix in suffixes)
        {
            var fresh = await server.PostJsonAsync("/v1/completions", Completion(prefix + suffix, 12, cachePrompt: false));
            Assert.Equal(0, Usage(fresh, "cached_tokens"));
            alone.Add(Text(fresh));
        }

        // The last alone request left its prefix pages behind; two requests at once cannot both use that slot's own
        // tokens, so at least one takes the pages from the shared prefix cache.
        double computedBefore = await server.MetricAsync("tessera_prompt_tokens_total");
        var shared = await Task.WhenAll(suffixes[..2].Select(suffix => server.PostJsonAsync("/v1/completions", Completion(prefix + suffix, 12))));
        double computed = await server.MetricAsync("tessera_prompt_tokens_total") - computedBefore;

        int prefixTokens = Reference.Tokenizer.Encode(prefix).Length;
        int expectedComputed = 0;
        for (int i = 0; i < shared.Length; i++)
        {
            Assert.Equal(alone[i], Text(shared[i]));
            int cached = Usage(shared[i], "cached_tokens"), prompt = Usage(shared[i], "prompt_tokens");
            Assert.True(cached >= prefixTokens - 40 && cached < prompt, $"request {i}: {cached} of {prompt} prompt tokens cached ({prefixTokens} in the prefix)");
            expectedComputed += prompt - cached;
        }
        Assert.Equal(expectedComputed, computed);
        Assert.True(await server.MetricAsync("tessera_prefix_cache_pages") >= prefixTokens / 32 - 1);
    }

    [Fact]
    public async Task A_small_pool_evicts_cached_prefixes_without_corrupting_running_requests()
    {
        // 17 pages of 32 tokens for 2 slots of 512: two running requests of ~250 tokens hold 16 of them.
        await using var server = await TestServer.StartAsync(parallel: 2, contextSize: 512,
            configure: options => options with { KvCacheTokens = 17 * 32 });
        Assert.Equal(17, await server.MetricAsync("tessera_kv_pages_total"));
        string[] prompts = Enumerable.Range(0, 6).Select(i => Story(200, seed: 100 + i)).ToArray();
        var alone = new List<string>();
        foreach (string prompt in prompts)
            alone.Add(Text(await server.PostJsonAsync("/v1/completions", Completion(prompt, 40, cachePrompt: false))));

        double evictionsBefore = await server.MetricAsync("tessera_prefix_cache_evictions_total");
        for (int wave = 0; wave < 3; wave++)
        {
            var pair = await Task.WhenAll(new[] { prompts[2 * wave], prompts[(2 * wave + 3) % 6] }
                .Select(prompt => server.PostJsonAsync("/v1/completions", Completion(prompt, 40))));
            Assert.Equal(alone[2 * wave], Text(pair[0]));
            Assert.Equal(alone[(2 * wave + 3) % 6], Text(pair[1]));
        }
        Assert.True(await server.MetricAsync("tessera_prefix_cache_evictions_total") > evictionsBefore, "nothing was evicted: the pool was not short");
        Assert.True(await server.MetricAsync("tessera_kv_pages_used") <= 17);
    }

    [Fact]
    public async Task While_a_2000_token_prompt_is_prefilled_another_stream_gets_a_token_every_step()
    {
        const int budget = 64;
        await using var server = await TestServer.StartAsync(parallel: 2, contextSize: 2100,
            configure: options => options with { StepTokenBudget = budget });
        string longPrompt = Story(2000, seed: 3);
        int longTokens = Reference.Tokenizer.Encode(longPrompt).Length;

        var streamBody = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = TestServer.StoriesId,
            ["prompt"] = "Once upon a time",
            ["max_tokens"] = 1500,
            ["temperature"] = 0,
            ["stream"] = true,
            ["logit_bias"] = new Dictionary<string, int> { [Reference.Tokenizer.EosId!.Value.ToString()] = -100 },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(streamBody, Encoding.UTF8, "application/json") };
        using var stream = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var clock = Stopwatch.StartNew();
        var arrivals = new List<TimeSpan>();
        async Task ReadTokensAsync(int count)
        {
            while (arrivals.Count < count && await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data: {", StringComparison.Ordinal))
                    arrivals.Add(clock.Elapsed);
            }
        }
        await ReadTokensAsync(5);

        double stepsBefore = await server.MetricAsync("tessera_steps_total");
        var started = clock.Elapsed;
        var longRequest = server.PostJsonAsync("/v1/completions", Completion(longPrompt, 1));
        var reading = Task.Run(async () =>
        {
            while (!longRequest.IsCompleted)
                await ReadTokensAsync(arrivals.Count + 1);
        });
        var answer = await longRequest;
        var finished = clock.Elapsed;
        await reading;
        double steps = await server.MetricAsync("tessera_steps_total") - stepsBefore;

        Assert.Equal(longTokens, Usage(answer, "prompt_tokens"));
        // One slot decodes, so each step carries at most budget - 1 prompt tokens: the prompt takes that many steps.
        int prefillSteps = (longTokens + budget - 2) / (budget - 1);
        Assert.True(steps >= prefillSteps, $"{steps} steps for a {longTokens}-token prompt with a budget of {budget}");
        int during = arrivals.Count(at => at > started && at <= finished);
        Assert.True(during >= prefillSteps - 2, $"the stream got {during} tokens while a prompt took {prefillSteps} steps");
    }
}

using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>/v1/completions (the client library has no public text-completions API, so these use plain HTTP).</summary>
public sealed class CompletionTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private const string Prompt = "Once upon a time";
    private TestServer Server => fixture.Server;

    private static string Request(string promptJson, int maxTokens, string extra = "") =>
        $$"""{"model":"{{TestServer.StoriesId}}","prompt":{{promptJson}},"max_tokens":{{maxTokens}},"temperature":0{{extra}}}""";

    private static string Text(JsonElement response, int choice = 0) =>
        response.GetProperty("choices")[choice].GetProperty("text").GetString()!;

    [Fact]
    public async Task A_string_prompt_continues_like_the_runtime()
    {
        var result = await Server.PostJsonAsync("/v1/completions", Request($"\"{Prompt}\"", 20));
        int[] prompt = Reference.TextPrompt(Prompt);
        Assert.Equal(Reference.Greedy(prompt, 20).Text, Text(result));
        Assert.Equal("text_completion", result.GetProperty("object").GetString());
        var choice = result.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = result.GetProperty("usage");
        Assert.Equal(prompt.Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(20, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(prompt.Length + 20, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Token_ids_and_the_same_text_give_the_same_answer()
    {
        int[] prompt = Reference.TextPrompt(Prompt);
        var byText = await Server.PostJsonAsync("/v1/completions", Request($"\"{Prompt}\"", 10));
        var byIds = await Server.PostJsonAsync("/v1/completions", Request(JsonSerializer.Serialize(prompt), 10));
        Assert.Equal(Text(byText), Text(byIds));
    }

    [Fact]
    public async Task An_array_of_prompts_gives_one_choice_each()
    {
        var result = await Server.PostJsonAsync("/v1/completions", Request($"[\"{Prompt}\", \"The cat\"]", 6));
        Assert.Equal(2, result.GetProperty("choices").GetArrayLength());
        Assert.Equal(Reference.Greedy(Reference.TextPrompt("The cat"), 6).Text, Text(result, 1));
        Assert.Equal(Reference.TextPrompt(Prompt).Length + Reference.TextPrompt("The cat").Length,
            result.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_sends_chunks_then_usage_then_done()
    {
        var whole = await Server.PostJsonAsync("/v1/completions", Request($"\"{Prompt}\"", 20));
        using var response = await Server.PostAsync("/v1/completions",
            Request($"\"{Prompt}\"", 20, ""","stream":true,"stream_options":{"include_usage":true}"""));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var (events, done) = await SseReader.ReadAllAsync(response);
        Assert.True(done);
        Assert.True(events.Count > 3);
        string text = string.Concat(events.Where(e => e.GetProperty("choices").GetArrayLength() > 0).Select(e => Text(e)));
        Assert.Equal(Text(whole), text);
        var finishes = events.SelectMany(e => e.GetProperty("choices").EnumerateArray())
            .Select(choice => choice.GetProperty("finish_reason")).Where(reason => reason.ValueKind != JsonValueKind.Null).ToList();
        Assert.Equal("length", Assert.Single(finishes).GetString());
        var last = events[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.Equal(20, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Logprobs_list_each_token_with_alternatives()
    {
        var result = await Server.PostJsonAsync("/v1/completions", Request($"\"{Prompt}\"", 5, ""","logprobs":2"""));
        var logprobs = result.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(5, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(5, logprobs.GetProperty("token_logprobs").GetArrayLength());
        Assert.All(logprobs.GetProperty("top_logprobs").EnumerateArray(), top => Assert.Equal(2, top.EnumerateObject().Count()));
        Assert.All(logprobs.GetProperty("token_logprobs").EnumerateArray(), value => Assert.True(value.GetSingle() <= 0));
    }

    [Fact]
    public async Task A_repeated_prompt_reuses_the_cached_prefix()
    {
        string prompt = "Once upon a time there was a little dog who liked to run in the park";
        var first = await Server.PostJsonAsync("/v1/completions", Request($"\"{prompt}\"", 4));
        var second = await Server.PostJsonAsync("/v1/completions", Request($"\"{prompt}\"", 4));
        Assert.Equal(Text(first), Text(second));
        int promptTokens = second.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.Equal(promptTokens - 1, second.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }
}

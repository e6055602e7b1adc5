using System.Text.Json;
using Json.Schema;
using Microsoft.Extensions.AI;
using Tessera.Testing;

namespace Tessera.Tests;

/// <summary>One stories260K model in process for the tests of a class.</summary>
public sealed class StoriesModelFixture : IDisposable
{
    public TesseraModel Model { get; } = TesseraModel.Load(SharedData.Model("stories260K.gguf"), new TesseraModelOptions { ContextSize = 512, Threads = 1 });

    public void Dispose() => Model.Dispose();
}

/// <summary>IChatClient on stories260K: options, streaming, JSON output, concurrency, cancellation.</summary>
public sealed class ChatClientTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>
{
    private readonly IChatClient _chat = fixture.Model.AsChatClient();

    private static ChatOptions Seeded(int seed, int maxTokens = 24) => new() { Temperature = 1, Seed = seed, MaxOutputTokens = maxTokens };

    [Fact]
    public async Task An_answer_has_text_usage_and_a_finish_reason()
    {
        var response = await _chat.GetResponseAsync("Once upon a time", Seeded(1, maxTokens: 12));
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.Equal(ChatRole.Assistant, response.Messages[0].Role);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(12, response.Usage!.OutputTokenCount);
        Assert.True(response.Usage.InputTokenCount > 3);
        Assert.Equal("stories260K", response.ModelId);
    }

    [Fact]
    public async Task A_seed_repeats_and_streaming_gives_the_same_text()
    {
        var first = await _chat.GetResponseAsync("Tell me a story", Seeded(5));
        var again = await _chat.GetResponseAsync("Tell me a story", Seeded(5));
        var other = await _chat.GetResponseAsync("Tell me a story", Seeded(6));
        Assert.Equal(first.Text, again.Text);
        Assert.NotEqual(first.Text, other.Text);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _chat.GetStreamingResponseAsync("Tell me a story", Seeded(5)))
            updates.Add(update);
        Assert.True(updates.Count > 3);
        var joined = updates.ToChatResponse();
        Assert.Equal(first.Text, joined.Text);
        Assert.Equal(ChatFinishReason.Length, joined.FinishReason);
        Assert.Equal(24, joined.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Stop_sequences_and_greedy_decoding_are_honoured()
    {
        var greedy = await _chat.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });
        string text = greedy.Text;
        int cut = text.IndexOf(' ', 5);
        Assert.True(cut > 0, text);
        string stop = text.Substring(cut, 2);
        var stopped = await _chat.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [stop] });
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [Fact]
    public async Task A_json_schema_response_format_holds_the_answer()
    {
        const string Schema = """{"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""";
        var format = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(Schema).RootElement, "person");
        for (int seed = 0; seed < 5; seed++)
        {
            var response = await _chat.GetResponseAsync("A person:", new ChatOptions { Temperature = 1, Seed = seed, MaxOutputTokens = 40, ResponseFormat = format });
            using var answer = JsonDocument.Parse(response.Text);
            Assert.True(JsonSchema.FromText(Schema).Evaluate(answer.RootElement).IsValid, response.Text);
        }
        var anyObject = await _chat.GetResponseAsync("JSON:", new ChatOptions { Temperature = 1, Seed = 3, MaxOutputTokens = 30, ResponseFormat = ChatResponseFormat.Json });
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(anyObject.Text).RootElement.ValueKind);
    }

    [Fact]
    public async Task Concurrent_callers_get_what_each_would_get_alone()
    {
        var alone = new List<string>();
        for (int seed = 0; seed < 6; seed++)
            alone.Add((await _chat.GetResponseAsync("Once upon a time", Seeded(seed))).Text);
        var together = await Task.WhenAll(Enumerable.Range(0, 6).Select(seed => _chat.GetResponseAsync("Once upon a time", Seeded(seed))));
        Assert.Equal(alone, together.Select(r => r.Text));
    }

    [Fact]
    public async Task Cancellation_ends_a_call()
    {
        using var cancel = new CancellationTokenSource();
        var call = _chat.GetResponseAsync("Once upon a time", new ChatOptions { MaxOutputTokens = 400 }, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        // The model is still usable afterwards.
        Assert.False(string.IsNullOrEmpty((await _chat.GetResponseAsync("Hi", Seeded(1, 4))).Text));
    }

    [Fact]
    public async Task A_conversation_too_long_for_the_context_is_an_argument_error()
    {
        string longText = string.Concat(Enumerable.Repeat("the little dog ran far away ", 200));
        await Assert.ThrowsAsync<ArgumentException>(() => _chat.GetResponseAsync(longText, Seeded(1)));
    }

    [Fact]
    public void The_client_describes_itself()
    {
        var metadata = _chat.GetService<ChatClientMetadata>();
        Assert.Equal("tessera", metadata!.ProviderName);
        Assert.Equal("stories260K", metadata.DefaultModelId);
        Assert.Same(fixture.Model, _chat.GetService<TesseraModel>());
    }
}

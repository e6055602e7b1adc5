using System.ClientModel;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

#pragma warning disable OPENAI001 // Seed is marked experimental by the client library.

/// <summary>/v1/chat/completions through the official OpenAI .NET client.</summary>
public sealed class ChatCompletionTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private const string Prompt = "Once upon a time";
    private TestServer Server => fixture.Server;
    private ChatClient Chat => Server.Client.GetChatClient(TestServer.StoriesId);

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Fact]
    public async Task Greedy_matches_the_runtime_with_usage_from_our_tokenizer()
    {
        ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], Greedy(12));
        int[] prompt = Reference.ChatPrompt(Prompt);
        var expected = Reference.Greedy(prompt, 12);
        Assert.Equal(expected.Text, result.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, result.FinishReason);
        Assert.Equal(prompt.Length, result.Usage.InputTokenCount);
        Assert.Equal(12, result.Usage.OutputTokenCount);
        Assert.Equal(prompt.Length + 12, result.Usage.TotalTokenCount);
        Assert.Equal(TestServer.StoriesId, result.Model);
        Assert.StartsWith("chatcmpl-", result.Id);
        Assert.Equal(ChatMessageRole.Assistant, result.Role);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_finish_reason_and_usage()
    {
        ChatCompletion whole = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], Greedy(16));
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], Greedy(16)))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.True(updates > 2, "the answer came in one piece, not streamed");
        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(16, usage.OutputTokenCount);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_sample_and_seeds_differ()
    {
        async Task<string> Sample(long seed)
        {
            var options = new ChatCompletionOptions { Temperature = 1.0f, Seed = seed, MaxOutputTokenCount = 24 };
            ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
            return result.Content[0].Text;
        }
        string first = await Sample(42);
        Assert.Equal(first, await Sample(42));
        var others = new HashSet<string>();
        for (int seed = 1; seed <= 4; seed++)
            others.Add(await Sample(seed));
        Assert.True(others.Count > 1, "four seeds gave the same text: sampling ignores the seed");
    }

    [Fact]
    public async Task A_stop_string_ends_the_text_before_it_with_finish_reason_stop()
    {
        ChatCompletion whole = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], Greedy(30));
        string text = whole.Content[0].Text;
        // A word from the middle of the greedy answer: generation must end right before its first occurrence.
        string stop = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(3).First(word => word.Length >= 3);
        var options = Greedy(30);
        options.StopSequences.Add(stop);
        ChatCompletion stopped = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.True(stopped.Usage.OutputTokenCount < 30);
    }

    [Fact]
    public async Task Logprobs_report_the_greedy_choice_as_the_most_likely()
    {
        var options = Greedy(6);
        options.IncludeLogProbabilities = true;
        options.TopLogProbabilityCount = 3;
        ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        Assert.Equal(6, result.ContentTokenLogProbabilities.Count);
        foreach (var token in result.ContentTokenLogProbabilities)
        {
            Assert.Equal(3, token.TopLogProbabilities.Count);
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 5);
            Assert.True(token.TopLogProbabilities[0].LogProbability >= token.TopLogProbabilities[1].LogProbability);
        }
        Assert.Equal(result.Content[0].Text, string.Concat(result.ContentTokenLogProbabilities.Select(token => token.Token)).TrimStart());
    }

    [Fact]
    public async Task Several_choices_come_back_indexed()
    {
        var options = new ChatCompletionOptions { Temperature = 1.0f, Seed = 7, MaxOutputTokenCount = 8 };
        var json = $$"""{"model":"{{TestServer.StoriesId}}","messages":[{"role":"user","content":"{{Prompt}}"}],"n":3,"max_tokens":8,"seed":7}""";
        var result = await Server.PostJsonAsync("/v1/chat/completions", json);
        var choices = result.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], choices.Select(choice => choice.GetProperty("index").GetInt32()));
        Assert.Equal(24, result.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(Reference.ChatPrompt(Prompt).Length, result.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        // Choice 0 uses the seed itself, so it matches a single-choice request with that seed.
        ChatCompletion single = await Chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        Assert.Equal(single.Content[0].Text, choices[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Text_parts_and_system_messages_are_accepted()
    {
        var messages = new List<ChatMessage>
        {
            new SystemChatMessage("You tell stories."),
            new UserChatMessage(ChatMessageContentPart.CreateTextPart("Once upon "), ChatMessageContentPart.CreateTextPart("a time")),
        };
        ChatCompletion result = await Chat.CompleteChatAsync(messages, Greedy(4));
        Assert.Equal(4, result.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task An_unknown_model_is_404()
    {
        var chat = Server.Client.GetChatClient("no-such-model");
        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage(Prompt)], Greedy(2)));
        Assert.Equal(404, error.Status);
    }
}

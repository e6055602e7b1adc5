using System.Text;
using System.Text.Json;
using Tessera.ChatTemplates;
using Tessera.Gguf;
using Tessera.Testing;
using Tessera.Tokenizers;

namespace Tessera.Server.Tests;

/// <summary>A server for syn-qwen3 (byte-level BPE vocabulary of 151936 tokens and Qwen3's chat template).</summary>
public sealed class QwenServerFixture : IAsyncLifetime
{
    public const string Model = "syn-qwen3-Q4_0.gguf";

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(Model, parallel: 2, contextSize: 512);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Chat with the model's own template; streams of random-weight output stay valid UTF-8.</summary>
public sealed class QwenChatTests(QwenServerFixture fixture) : IClassFixture<QwenServerFixture>
{
    private const string UserText = "Write a poem about caf\u00e9s \u2615 and \u6f22\u5b57.";
    private TestServer Server => fixture.Server;

    private static string Request(int seed, bool stream) => JsonSerializer.Serialize(new
    {
        model = "syn-qwen3-Q4_0",
        messages = new[] { new { role = "system", content = "Be brief." }, new { role = "user", content = UserText } },
        max_tokens = 48,
        temperature = 1.0,
        seed,
        stream,
    });

    [Fact]
    public async Task The_prompt_is_the_models_template_rendered_and_tokenized()
    {
        using var file = GgufFile.Open(SharedData.Model(QwenServerFixture.Model));
        var tokenizer = Tokenizer.FromGguf(file.Metadata);
        var template = ChatTemplate.Parse(file.Metadata.GetString(GgufKeys.ChatTemplate));
        string rendered = template.RenderChat([new ChatMessage("system", "Be brief."), new ChatMessage("user", UserText)], addGenerationPrompt: true);
        Assert.Contains("<|im_start|>assistant", rendered);
        int expected = tokenizer.Encode(rendered, addSpecial: true, parseSpecial: true).Length;
        var result = await Server.PostJsonAsync("/v1/chat/completions", Request(1, stream: false));
        Assert.Equal(expected, result.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Tools_and_earlier_tool_calls_reach_the_template()
    {
        const string tools = """[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]""";
        const string messages = """
            [{"role":"user","content":"Weather in Oslo?"},
             {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
             {"role":"tool","tool_call_id":"call_1","content":"4 degrees"}]
            """;
        using var file = GgufFile.Open(SharedData.Model(QwenServerFixture.Model));
        var tokenizer = Tokenizer.FromGguf(file.Metadata);
        var template = ChatTemplate.Parse(file.Metadata.GetString(GgufKeys.ChatTemplate));
        using var toolsJson = JsonDocument.Parse(tools);
        var history = new List<ChatMessage>
        {
            new("user", "Weather in Oslo?"),
            new("assistant", "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", JsonDocument.Parse("{\"city\":\"Oslo\"}").RootElement)] },
            new("tool", "4 degrees") { ToolCallId = "call_1" },
        };
        string rendered = template.RenderChat(history, addGenerationPrompt: true, tools: toolsJson.RootElement);
        Assert.Contains("get_weather", rendered);
        Assert.Contains("4 degrees", rendered);

        var result = await Server.PostJsonAsync("/v1/chat/completions",
            $$"""{"messages":{{messages}},"tools":{{tools}},"max_tokens":2}""");
        Assert.Equal(tokenizer.Encode(rendered, addSpecial: true, parseSpecial: true).Length,
            result.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Streamed_text_is_valid_UTF8_and_equals_the_whole_answer(int seed)
    {
        var whole = await Server.PostJsonAsync("/v1/chat/completions", Request(seed, stream: false));
        string expected = whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

        using var response = await Server.PostAsync("/v1/chat/completions", Request(seed, stream: true));
        byte[] raw = await response.Content.ReadAsByteArrayAsync();
        string body = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(raw);
        var text = new StringBuilder();
        foreach (string line in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", line);
            if (line == "data: [DONE]")
                continue;
            var choices = JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("choices");
            if (choices.GetArrayLength() == 1 && choices[0].GetProperty("delta").TryGetProperty("content", out var piece))
            {
                string value = piece.GetString()!;
                AssertNoLoneSurrogates(value);
                text.Append(value);
            }
        }
        Assert.EndsWith("data: [DONE]\n\n", body);
        Assert.Equal(expected, text.ToString());
    }

    [Fact]
    public async Task Quantized_batched_decoding_matches_decoding_alone()
    {
        // Q4_0 weights go through the integer matrix-matrix kernels when slots share a step and through the
        // matrix-vector kernels alone; greedy answers must not depend on which.
        string[] prompts = ["Hello there", "Once upon a time in a land", "1 2 3 4", "What is"];
        Task<JsonElement> Complete(string prompt) => Server.PostJsonAsync("/v1/completions",
            JsonSerializer.Serialize(new { prompt, max_tokens = 24, temperature = 0 }));
        static string Text(JsonElement response) => response.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var alone = new List<string>();
        foreach (string prompt in prompts)
            alone.Add(Text(await Complete(prompt)));
        var together = await Task.WhenAll(prompts.Select(Complete));
        Assert.Equal(alone, together.Select(Text));
    }

    private static void AssertNoLoneSurrogates(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else
                Assert.False(char.IsSurrogate(text[i]), $"a lone surrogate at {i}: a character was split between chunks");
        }
    }
}

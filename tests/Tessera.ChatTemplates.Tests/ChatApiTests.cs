using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.ChatTemplates.Tests;

/// <summary>RenderChat with typed messages, the ChatML fallback and conversion of caller values.</summary>
public sealed class ChatApiTests
{
    private static IReadOnlyList<ChatMessage> Messages(string conversation) =>
        Fixtures.Conversation(conversation).GetProperty("messages").EnumerateArray().Select(m => new ChatMessage(
            m.GetProperty("role").GetString()!,
            m.GetProperty("content").GetString())
        {
            ToolCallId = m.TryGetProperty("tool_call_id", out var id) ? id.GetString() : null,
            Name = m.TryGetProperty("name", out var name) ? name.GetString() : null,
            ToolCalls = m.TryGetProperty("tool_calls", out var calls)
                ? calls.EnumerateArray().Select(c => new ChatToolCall(
                    c.GetProperty("id").GetString()!,
                    c.GetProperty("function").GetProperty("name").GetString()!,
                    c.GetProperty("function").GetProperty("arguments"))).ToList()
                : null,
        }).ToList();

    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct", "05_tools")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct", "05_tools")]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407", "05_tools")]
    [InlineData("Qwen-Qwen3-0.6B", "03_multi_turn")]
    [InlineData("microsoft-Phi-3.5-mini-instruct", "06_prefill")]
    public void RenderChatWithTypedMessagesMatchesTheFixture(string template, string conversation)
    {
        var manifest = Fixtures.Manifest(template);
        var chat = Fixtures.Conversation(conversation);
        var extra = manifest.GetProperty("extra_vars").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        var text = ChatTemplate.Parse(Fixtures.TemplateSource(template)).RenderChat(
            Messages(conversation),
            chat.GetProperty("add_generation_prompt").GetBoolean(),
            manifest.GetProperty("bos_token").GetString()!,
            manifest.GetProperty("eos_token").GetString()!,
            chat.TryGetProperty("tools", out var tools) ? tools : null,
            extra,
            Fixtures.Options);
        Assert.Equal(File.ReadAllText(Fixtures.ExpectedPath(template, conversation, error: false)), text);
    }

    [Fact]
    public void ChatMlFallbackFormatsTurns()
    {
        var text = ChatTemplate.ChatMl.RenderChat([new ChatMessage("system", "S"), new ChatMessage("user", "Hi")], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void ChatMlRendersNullContentAsEmpty()
    {
        Assert.Equal("<|im_start|>assistant\n<|im_end|>\n", ChatTemplate.ChatMl.RenderChat([new ChatMessage("assistant", null)], addGenerationPrompt: false));
    }

    [Fact]
    public void ConvertsJsonNodesDictionariesAndNumbers()
    {
        var node = JsonNode.Parse("""{"a": [1, 2.5, "x", true, null], "b": {"c": 1.0}}""");
        var template = "{{ v.a }}|{{ v.b }}|{{ v.a[0] is integer }}|{{ n }}|{{ f }}|{{ m }}";
        var text = ChatTemplate.Parse(template).Render(new Dictionary<string, object?>
        {
            ["v"] = node,
            ["n"] = 7,
            ["f"] = 0.25f,
            ["m"] = new Dictionary<string, object?> { ["k"] = new[] { "x", "y" } },
        });
        Assert.Equal("[1, 2.5, 'x', True, None]|{'c': 1.0}|True|7|0.25|{'k': ['x', 'y']}", text);
    }

    [Fact]
    public void JsonElementsConvertLikeNodes()
    {
        using var doc = JsonDocument.Parse("""{"z": 1, "a": 2}""");
        Assert.Equal("{\"z\": 1, \"a\": 2}", Render.Text("{{ v|tojson }}", ("v", doc.RootElement)));
    }

    [Fact]
    public void UnsupportedValueTypesAreRejected()
    {
        var error = Render.Error("{{ v }}", ("v", new Uri("http://example.com")));
        Assert.Contains("Uri", error.Message);
    }

    [Fact]
    public void StrftimeNowUsesTheInjectedClock()
    {
        var options = new TemplateOptions { Clock = FixedClock.FixtureDate };
        Assert.Equal("2026-01-15 January 15 Jan Thursday 00:00", Render.WithOptions("{{ strftime_now('%Y-%m-%d %B %-d %b %A %H:%M') }}", options));
    }

    [Fact]
    public void ParsedTemplatesRenderConcurrently()
    {
        var template = ChatTemplate.Parse(Fixtures.TemplateSource("Qwen-Qwen3-0.6B"));
        var variables = Fixtures.Variables("Qwen-Qwen3-0.6B", "05_tools");
        var expected = template.Render(variables, Fixtures.Options);
        Parallel.For(0, 64, _ => Assert.Equal(expected, template.Render(variables, Fixtures.Options)));
    }
}

using System.Text.Json;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

#pragma warning disable OPENAI001 // Seed is marked experimental by the client library.

/// <summary>
/// tools and tool_choice on syn-qwen3 (Qwen3's template, Hermes-style calls): a random-weight model forced by
/// tool_choice returns valid calls to declared functions through the official OpenAI client, streamed and not; in auto
/// mode an answer that is a call (here steered by a grammar) comes back as tool_calls.
/// </summary>
public sealed class ToolCallTests(QwenServerFixture fixture) : IClassFixture<QwenServerFixture>
{
    private const string WeatherParameters = """{"type":"object","properties":{"city":{"type":"string","maxLength":12},"unit":{"enum":["c","f"]}},"required":["city"],"additionalProperties":false}""";
    private const string TimeParameters = """{"type":"object","properties":{"zone":{"type":"string","maxLength":8}},"required":["zone"],"additionalProperties":false}""";

    private TestServer Server => fixture.Server;
    private ChatClient Chat => Server.Client.GetChatClient("syn-qwen3-Q4_0");

    private static ChatCompletionOptions Options(ChatToolChoice choice, int seed)
    {
        var options = new ChatCompletionOptions { Temperature = 1, Seed = seed, MaxOutputTokenCount = 80, ToolChoice = choice };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather for a city.", BinaryData.FromString(WeatherParameters)));
        options.Tools.Add(ChatTool.CreateFunctionTool("get_time", "Time in a zone.", BinaryData.FromString(TimeParameters)));
        return options;
    }

    private static void AssertValidCall(string name, string arguments)
    {
        Assert.Contains(name, new[] { "get_weather", "get_time" });
        using var json = JsonDocument.Parse(arguments);
        var root = json.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        string required = name == "get_weather" ? "city" : "zone";
        Assert.Equal(JsonValueKind.String, root.GetProperty(required).ValueKind);
        Assert.All(root.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "city", "unit", "zone" }));
    }

    [Fact]
    public async Task Required_returns_a_valid_call_to_a_declared_function()
    {
        var names = new HashSet<string>();
        for (int seed = 0; seed < 4; seed++)
        {
            ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage("What is the weather?")], Options(ChatToolChoice.CreateRequiredChoice(), seed));
            Assert.Equal(ChatFinishReason.ToolCalls, result.FinishReason);
            Assert.NotEmpty(result.ToolCalls);
            foreach (var call in result.ToolCalls)
            {
                Assert.StartsWith("call_", call.Id);
                AssertValidCall(call.FunctionName, call.FunctionArguments.ToString());
                names.Add(call.FunctionName);
            }
        }
        Assert.NotEmpty(names);
    }

    [Fact]
    public async Task Required_streams_tool_call_deltas_that_join_into_a_valid_call()
    {
        var ids = new Dictionary<int, string>();
        var functionNames = new Dictionary<int, string>();
        var arguments = new Dictionary<int, System.Text.StringBuilder>();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Time?")], Options(ChatToolChoice.CreateRequiredChoice(), 7)))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.ToolCallId is { } id)
                    ids[part.Index] = id;
                if (part.FunctionName is { } name)
                    functionNames[part.Index] = name;
                if (!arguments.TryGetValue(part.Index, out var text))
                    arguments[part.Index] = text = new System.Text.StringBuilder();
                text.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.NotEmpty(functionNames);
        foreach (var (index, name) in functionNames)
        {
            Assert.StartsWith("call_", ids[index]);
            AssertValidCall(name, arguments[index].ToString());
        }
    }

    [Fact]
    public async Task Without_parallel_tool_calls_there_is_one_call()
    {
        for (int seed = 0; seed < 3; seed++)
        {
            var options = Options(ChatToolChoice.CreateRequiredChoice(), seed);
            options.AllowParallelToolCalls = false;
            ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage("Weather and time?")], options);
            var call = Assert.Single(result.ToolCalls);
            AssertValidCall(call.FunctionName, call.FunctionArguments.ToString());
        }
    }

    [Fact]
    public async Task A_named_function_is_the_one_called()
    {
        for (int seed = 0; seed < 3; seed++)
        {
            ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage("Hi")], Options(ChatToolChoice.CreateFunctionChoice("get_time"), seed));
            var call = Assert.Single(result.ToolCalls);
            Assert.Equal("get_time", call.FunctionName);
            AssertValidCall(call.FunctionName, call.FunctionArguments.ToString());
        }
    }

    /// <summary>Auto mode parses whatever the model wrote; a grammar makes this model write a call.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Auto_mode_turns_a_written_call_into_tool_calls(bool stream)
    {
        const string Grammar = """root ::= "Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"" [a-z]{1,6} "\"}}\n</tool_call>" """;
        string body = JsonSerializer.Serialize(new
        {
            model = "syn-qwen3-Q4_0",
            messages = new[] { new { role = "user", content = "Weather?" } },
            tools = JsonDocument.Parse("""[{"type":"function","function":{"name":"get_weather","parameters":""" + WeatherParameters + "}}]").RootElement,
            grammar = Grammar,
            temperature = 1,
            seed = 2,
            max_tokens = 60,
            stream,
        });
        string content, name, arguments, finish;
        if (!stream)
        {
            var choice = (await Server.PostJsonAsync("/v1/chat/completions", body)).GetProperty("choices")[0];
            var message = choice.GetProperty("message");
            content = message.GetProperty("content").GetString()!;
            var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray().ToList());
            Assert.Equal("function", call.GetProperty("type").GetString());
            name = call.GetProperty("function").GetProperty("name").GetString()!;
            arguments = call.GetProperty("function").GetProperty("arguments").GetString()!;
            finish = choice.GetProperty("finish_reason").GetString()!;
        }
        else
        {
            using var response = await Server.PostAsync("/v1/chat/completions", body);
            var text = new System.Text.StringBuilder();
            var args = new System.Text.StringBuilder();
            name = finish = "";
            var (events, done) = await SseReader.ReadAllAsync(response);
            Assert.True(done);
            foreach (var chunk in events)
            {
                var choice = chunk.GetProperty("choices")[0];
                var delta = choice.GetProperty("delta");
                if (delta.TryGetProperty("content", out var piece))
                    text.Append(piece.GetString());
                if (delta.TryGetProperty("tool_calls", out var calls))
                {
                    var function = calls[0].GetProperty("function");
                    if (function.TryGetProperty("name", out var n))
                        name = n.GetString()!;
                    args.Append(function.GetProperty("arguments").GetString());
                }
                if (choice.GetProperty("finish_reason").GetString() is { } reason)
                    finish = reason;
            }
            content = text.ToString().Trim();
            arguments = args.ToString();
        }
        Assert.Equal("Checking.", content);
        Assert.Equal("get_weather", name);
        Assert.Matches("^\\{\"city\":\"[a-z]{1,6}\"\\}$", arguments);
        Assert.Equal("tool_calls", finish);
    }

    [Fact]
    public async Task Tool_choice_none_answers_in_text()
    {
        ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage("Hi")], Options(ChatToolChoice.CreateNoneChoice(), 1));
        Assert.Empty(result.ToolCalls);
        Assert.NotEqual(ChatFinishReason.ToolCalls, result.FinishReason);
    }

    [Theory]
    [InlineData("""{"tool_choice":"required"}""", "tool_choice", "no tools are given")]
    [InlineData("""{"tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"f"}}]}""", "tool_choice", "must be")]
    [InlineData("""{"tool_choice":{"type":"function","function":{"name":"g"}},"tools":[{"type":"function","function":{"name":"f"}}]}""", "tool_choice.function.name", "no tool is named 'g'")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":"x"}}]}""", "tools[0].function.parameters", "a JSON schema object")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"f"}}]}""", "tools[1].function.name", "two tools")]
    [InlineData("""{"tool_choice":"required","response_format":{"type":"json_object"},"tools":[{"type":"function","function":{"name":"f"}}]}""", "tool_choice", "cannot be combined")]
    [InlineData("""{"tool_choice":"required","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"$ref":"#/nowhere"}}}}}]}""", "tools", "points to nothing")]
    public async Task Bad_tool_fields_are_a_400_naming_the_field(string fields, string param, string message)
    {
        string body = fields.Insert(1, "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,");
        var error = (await Server.PostJsonAsync("/v1/chat/completions", body, 400)).GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }
}

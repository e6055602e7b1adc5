using System.Text.Json;
using Microsoft.Extensions.AI;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Tests;

/// <summary>
/// FunctionInvokingChatClient over our IChatClient on syn-qwen3 (Qwen3's template): the model is made to call a tool
/// (tool mode required, so even random weights give a valid call), the function runs, the model answers; the same
/// final conversation through the HTTP server gives the same greedy answer, token for token.
/// </summary>
public sealed class ToolLoopTests
{
    private const string ModelFile = "syn-qwen3-Q4_0.gguf";

    [Fact]
    public async Task A_two_step_tool_loop_runs_in_process_and_matches_the_server()
    {
        var options = new TesseraModelOptions { ContextSize = 1024, Threads = 1, Parallel = 2 };
        using var model = TesseraModel.Load(SharedData.Model(ModelFile), options);
        var calls = new List<string>();
        var weather = AIFunctionFactory.Create((string city) => { calls.Add(city); return $"18 degrees in {city}"; }, "get_weather", "Weather for a city.");
        using var client = new ChatClientBuilder(model.AsChatClient()).UseFunctionInvocation().Build();
        var chatOptions = new ChatOptions { Tools = [weather], ToolMode = ChatToolMode.RequireAny, Temperature = 0, MaxOutputTokens = 60 };
        List<ChatMessage> conversation = [new(ChatRole.User, "What is the weather in Paris?")];

        var response = await client.GetResponseAsync(conversation, chatOptions);

        var call = Assert.Single(calls);
        Assert.NotNull(call); // whatever string the random weights chose, the grammar made it one
        // The call, its result, and the answer that followed.
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
        var answer = response.Messages[^1];
        Assert.Equal(ChatRole.Assistant, answer.Role);
        Assert.False(string.IsNullOrEmpty(answer.Text), string.Join(" | ", response.Messages.Select(m => m.Role + ":" + string.Join(",", m.Contents.Select(c => c.GetType().Name + "=" + (c as TextContent)?.Text))) ) + " finish " + response.FinishReason);

        // The server, given the conversation up to the answer, writes the same answer.
        var history = conversation.Concat(response.Messages.Take(response.Messages.Count - 1)).ToList();
        string serverAnswer = await ServerAnswerAsync(history, weather);
        Assert.Equal(answer.Text, serverAnswer);
    }

    [Fact]
    public async Task A_streamed_tool_loop_calls_the_function_and_streams_the_answer()
    {
        using var model = TesseraModel.Load(SharedData.Model(ModelFile), new TesseraModelOptions { ContextSize = 1024, Threads = 1, Parallel = 2 });
        int invoked = 0;
        var time = AIFunctionFactory.Create((string zone) => { invoked++; return "noon"; }, "get_time", "Time in a zone.");
        using var client = new ChatClientBuilder(model.AsChatClient()).UseFunctionInvocation().Build();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("What time is it?",
            new ChatOptions { Tools = [time], ToolMode = ChatToolMode.RequireSpecific("get_time"), Temperature = 0, MaxOutputTokens = 40 }))
            updates.Add(update);
        Assert.Equal(1, invoked);
        Assert.Contains(updates, u => u.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_time"));
        var response = updates.ToChatResponse();
        Assert.False(string.IsNullOrEmpty(response.Messages[^1].Text));
        Assert.True(response.Usage!.OutputTokenCount > 0);
    }

    /// <summary>The conversation as an OpenAI chat request, answered greedily by a server on the same file.</summary>
    private static async Task<string> ServerAnswerAsync(List<ChatMessage> history, AIFunction tool)
    {
        var messages = history.Select(message =>
        {
            if (message.Contents.OfType<FunctionResultContent>().FirstOrDefault() is { } result)
                return (object)new { role = "tool", tool_call_id = result.CallId, content = ((JsonElement)result.Result!).GetString() };
            var toolCalls = message.Contents.OfType<FunctionCallContent>()
                .Select(c => new { id = c.CallId, type = "function", function = new { name = c.Name, arguments = JsonSerializer.Serialize(c.Arguments) } })
                .ToArray();
            return toolCalls.Length > 0
                ? new { role = "assistant", content = (string?)null, tool_calls = toolCalls }
                : new { role = message.Role.Value, content = message.Text };
        }).ToArray();
        string body = JsonSerializer.Serialize(new
        {
            messages,
            tools = new[] { new { type = "function", function = new { name = tool.Name, description = tool.Description, parameters = tool.JsonSchema } } },
            temperature = 0,
            max_tokens = 60,
        });
        await using var server = await TesseraServer.StartAsync(new ServerOptions
        {
            ModelPath = SharedData.Model(ModelFile),
            Port = 0,
            Parallel = 2,
            ContextSize = 1024,
            Threads = 1,
        });
        await server.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var reply = await http.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        string json = await reply.Content.ReadAsStringAsync();
        Assert.True(reply.IsSuccessStatusCode, json);
        using var document = JsonDocument.Parse(json);
        var message = document.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.False(message.TryGetProperty("tool_calls", out _), json);
        return message.GetProperty("content").GetString()!;
    }
}

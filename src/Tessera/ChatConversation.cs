using System.Text.Json;
using Microsoft.Extensions.AI;
using Tessera.Runtime.Tools;
using TemplateMessage = Tessera.ChatTemplates.ChatMessage;
using TemplateToolCall = Tessera.ChatTemplates.ChatToolCall;

namespace Tessera;

/// <summary>
/// Microsoft.Extensions.AI messages and tools in the shapes the chat template and the tool-call code take: text parts
/// joined, <see cref="FunctionCallContent"/> as an assistant's tool calls, <see cref="FunctionResultContent"/> as
/// tool messages, <see cref="AIFunction"/>s as OpenAI-style function definitions.
/// </summary>
internal static class ChatConversation
{
    public static List<TemplateMessage> Messages(IEnumerable<ChatMessage> messages)
    {
        var result = new List<TemplateMessage>();
        foreach (var message in messages)
        {
            string role = message.Role == ChatRole.System ? "system"
                : message.Role == ChatRole.Assistant ? "assistant"
                : message.Role == ChatRole.Tool ? "tool"
                : message.Role == ChatRole.User ? "user"
                : throw new ArgumentException($"the chat role '{message.Role}' is not supported", nameof(messages));
            var calls = message.Contents.OfType<FunctionCallContent>()
                .Select(call => new TemplateToolCall(call.CallId, call.Name, JsonSerializer.SerializeToElement(call.Arguments ?? new Dictionary<string, object?>())))
                .ToList();
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            string text = string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
            if (results.Count > 0)
            {
                // Each function result is one tool message, answering its call.
                foreach (var answer in results)
                    result.Add(new TemplateMessage("tool", ResultText(answer.Result)) { ToolCallId = answer.CallId });
                continue;
            }
            result.Add(new TemplateMessage(role, text) { ToolCalls = calls.Count > 0 ? calls : null });
        }
        if (result.Count == 0)
            throw new ArgumentException("the conversation holds no messages", nameof(messages));
        return result;
    }

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string text => text,
        JsonElement element => element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText(),
        _ => JsonSerializer.Serialize(result),
    };

    /// <summary>The functions among the options' tools, as definitions and as the JSON the template renders.</summary>
    public static (List<ToolDefinition> Definitions, JsonElement? Json) Tools(ChatOptions? options)
    {
        var functions = options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        if (functions.Count == 0)
            return ([], null);
        var definitions = functions.Select(f => new ToolDefinition(f.Name, f.Description, f.JsonSchema)).ToList();
        var json = JsonSerializer.SerializeToElement(definitions.Select(d => new Dictionary<string, object?>
        {
            ["type"] = "function",
            ["function"] = new Dictionary<string, object?>
            {
                ["name"] = d.Name,
                ["description"] = d.Description ?? "",
                ["parameters"] = d.Parameters,
            },
        }));
        return (definitions, json);
    }

    public static ToolChoice Choice(ChatOptions? options, bool hasTools) => options?.ToolMode switch
    {
        _ when !hasTools => ToolChoice.None,
        NoneChatToolMode => ToolChoice.None,
        RequiredChatToolMode { RequiredFunctionName: { } name } => ToolChoice.Function(name),
        RequiredChatToolMode => ToolChoice.Required,
        _ => ToolChoice.Auto,
    };

    /// <summary>A call's JSON arguments as the dictionary <see cref="FunctionCallContent"/> carries.</summary>
    public static Dictionary<string, object?> Arguments(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
    }
}

using System.Text;
using System.Text.Json;
using Tessera.ChatTemplates;

namespace Tessera.Server.Api;

/// <summary>Reads the "messages" of a chat completion request into template messages.</summary>
internal static class ChatRequestParser
{
    /// <summary>"developer" is OpenAI's newer name for the system role; templates know "system".</summary>
    private static readonly Dictionary<string, string> Roles = new(StringComparer.Ordinal)
    {
        ["system"] = "system",
        ["developer"] = "system",
        ["user"] = "user",
        ["assistant"] = "assistant",
        ["tool"] = "tool",
    };

    public static List<ChatMessage> ReadMessages(JsonFields fields)
    {
        if (fields.Get("messages") is not { } messages)
            throw ApiException.BadRequest("messages", "messages is required.");
        if (messages.ValueKind != JsonValueKind.Array)
            throw fields.TypeError("messages", "an array");
        if (messages.GetArrayLength() == 0)
            throw ApiException.BadRequest("messages", "messages must hold at least one message.");
        var result = new List<ChatMessage>();
        int index = 0;
        foreach (var element in messages.EnumerateArray())
            result.Add(ReadMessage(new JsonFields(element, $"messages[{index++}]")));
        return result;
    }

    private static ChatMessage ReadMessage(JsonFields fields)
    {
        string role = fields.String("role") ?? throw fields.Missing("role");
        if (!Roles.TryGetValue(role, out string? templateRole))
            throw ApiException.BadRequest(fields.PathOf("role"), $"{fields.PathOf("role")} must be one of system, developer, user, assistant, tool.");
        string? content = ReadContent(fields);
        if (content is null && templateRole != "assistant")
            throw ApiException.BadRequest(fields.PathOf("content"), $"{fields.PathOf("content")} is required for this role.");
        var toolCalls = ReadToolCalls(fields);
        if (content is null && toolCalls is null && templateRole == "assistant")
            throw ApiException.BadRequest(fields.PathOf("content"), $"{fields.PathOf("content")} is required unless tool_calls are given.");
        // Templates test content with string operations ('x' in content), so a missing content is the empty string.
        return new ChatMessage(templateRole, content ?? "")
        {
            ToolCalls = toolCalls,
            ToolCallId = fields.String("tool_call_id"),
            Name = fields.String("name"),
        };
    }

    /// <summary>An assistant's earlier function calls: <c>[{"id", "type": "function", "function": {"name", "arguments"}}]</c>.</summary>
    private static List<ChatToolCall>? ReadToolCalls(JsonFields fields)
    {
        if (fields.Get("tool_calls") is not { } calls)
            return null;
        if (calls.ValueKind != JsonValueKind.Array)
            throw fields.TypeError("tool_calls", "an array");
        var result = new List<ChatToolCall>();
        int index = 0;
        foreach (var element in calls.EnumerateArray())
        {
            var call = new JsonFields(element, $"{fields.PathOf("tool_calls")}[{index++}]");
            var function = new JsonFields(call.Get("function") ?? throw call.Missing("function"), call.PathOf("function"));
            string name = function.String("name") ?? throw function.Missing("name");
            // Arguments arrive as a JSON string; templates get the parsed object when it parses, else the string.
            string arguments = function.String("arguments") ?? "{}";
            result.Add(new ChatToolCall(call.String("id") ?? "", name, ParseArguments(arguments)));
        }
        return result;
    }

    private static object ParseArguments(string arguments)
    {
        try
        {
            using var document = JsonDocument.Parse(arguments, new JsonDocumentOptions { MaxDepth = RequestLimits.MaxJsonDepth });
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return arguments;
        }
    }


    /// <summary>A string, or an array of text parts joined (OpenAI's content parts; only "text" is supported).</summary>
    private static string? ReadContent(JsonFields fields)
    {
        if (fields.Get("content") is not { } content)
            return null;
        if (content.ValueKind == JsonValueKind.String)
            return JsonFields.ReadString(content, fields.PathOf("content"));
        if (content.ValueKind != JsonValueKind.Array)
            throw fields.TypeError("content", "a string or an array of text parts");
        var text = new StringBuilder();
        int index = 0;
        foreach (var element in content.EnumerateArray())
        {
            var part = new JsonFields(element, $"{fields.PathOf("content")}[{index++}]");
            if (part.String("type") != "text")
                throw ApiException.BadRequest(part.PathOf("type"), $"{part.PathOf("type")} must be \"text\": only text content is supported.");
            text.Append(part.String("text") ?? throw part.Missing("text"));
        }
        return text.ToString();
    }
}

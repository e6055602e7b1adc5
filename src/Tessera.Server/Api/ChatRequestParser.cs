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
        string role = fields.String("role") ?? throw ApiException.BadRequest(fields.PathOf("role"), $"{fields.PathOf("role")} is required.");
        if (!Roles.TryGetValue(role, out string? templateRole))
            throw ApiException.BadRequest(fields.PathOf("role"), $"{fields.PathOf("role")} must be one of system, developer, user, assistant, tool.");
        string? content = ReadContent(fields);
        if (content is null && templateRole != "assistant")
            throw ApiException.BadRequest(fields.PathOf("content"), $"{fields.PathOf("content")} is required for this role.");
        return new ChatMessage(templateRole, content)
        {
            ToolCallId = fields.String("tool_call_id"),
            Name = fields.String("name"),
        };
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
            text.Append(part.String("text") ?? throw ApiException.BadRequest(part.PathOf("text"), $"{part.PathOf("text")} is required."));
        }
        return text.ToString();
    }
}

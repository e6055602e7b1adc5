using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates;

/// <summary>
/// One chat message as templates see it (<c>message.role</c>, <c>message.content</c>, ...). Optional fields that are
/// null are left out, so <c>message.tool_calls is defined</c> is false for plain messages.
/// </summary>
public sealed record ChatMessage(string Role, string? Content)
{
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>For role "tool": the id of the call this message answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>For role "tool": the function's name.</summary>
    public string? Name { get; init; }

    /// <summary>Thinking text of an assistant turn, for templates that render it.</summary>
    public string? ReasoningContent { get; init; }

    internal TemplateDict ToValue()
    {
        var dict = new TemplateDict();
        dict.Set("role", Role);
        dict.Set("content", Content);
        if (ToolCalls is not null) dict.Set("tool_calls", ToolCalls.Select(call => (object?)call.ToValue()).ToList());
        if (ToolCallId is not null) dict.Set("tool_call_id", ToolCallId);
        if (Name is not null) dict.Set("name", Name);
        if (ReasoningContent is not null) dict.Set("reasoning_content", ReasoningContent);
        return dict;
    }
}

/// <summary>
/// A function call made by the assistant: <c>{"id", "type", "function": {"name", "arguments"}}</c>.
/// <paramref name="Arguments"/> is usually an object (JsonElement, JsonNode or dictionary); a JSON string is kept as a string.
/// </summary>
public sealed record ChatToolCall(string Id, string Name, object? Arguments)
{
    public string Type { get; init; } = "function";

    internal TemplateDict ToValue()
    {
        var function = new TemplateDict();
        function.Set("name", Name);
        function.Set("arguments", ValueConverter.FromObject(Arguments));
        var dict = new TemplateDict();
        dict.Set("id", Id);
        dict.Set("type", Type);
        dict.Set("function", function);
        return dict;
    }
}

using System.Text.Json;
using Tessera.Runtime.Tools;

namespace Tessera.Server.Api;

/// <summary>
/// The tool fields of a chat request: <c>tools</c> (handed to the chat template as they are, and read into
/// definitions), <c>tool_choice</c> (<c>auto</c> by default when tools are given, <c>none</c>, <c>required</c>, or
/// <c>{"type":"function","function":{"name":...}}</c>) and <c>parallel_tool_calls</c> (default true).
/// </summary>
internal sealed record ToolRequest(JsonElement? Raw, IReadOnlyList<ToolDefinition> Definitions, ToolChoice Choice, bool Parallel)
{
    /// <summary>Whether the answer is parsed for calls.</summary>
    public bool ParsesCalls => Definitions.Count > 0 && Choice.Mode != ToolChoiceMode.None;

    public static ToolRequest Read(JsonFields fields)
    {
        var (raw, definitions) = ReadTools(fields);
        var choice = ReadChoice(fields, definitions);
        return new ToolRequest(raw, definitions, choice, fields.Bool("parallel_tool_calls") ?? true);
    }

    private static (JsonElement? Raw, List<ToolDefinition> Definitions) ReadTools(JsonFields fields)
    {
        var definitions = new List<ToolDefinition>();
        if (fields.Get("tools") is not { } tools)
            return (null, definitions);
        if (tools.ValueKind != JsonValueKind.Array)
            throw fields.TypeError("tools", "an array");
        int index = 0;
        foreach (var element in tools.EnumerateArray())
        {
            var tool = new JsonFields(element, $"tools[{index++}]");
            if (tool.String("type") != "function")
                throw ApiException.BadRequest(tool.PathOf("type"), $"{tool.PathOf("type")} must be \"function\".");
            var function = new JsonFields(tool.Get("function") ?? throw tool.Missing("function"), tool.PathOf("function"));
            string name = function.String("name") is { Length: > 0 } given ? given : throw function.Missing("name");
            var parameters = function.Get("parameters");
            if (parameters is { ValueKind: not JsonValueKind.Object })
                throw function.TypeError("parameters", "a JSON schema object");
            if (definitions.Any(d => d.Name == name))
                throw ApiException.BadRequest(function.PathOf("name"), $"{function.PathOf("name")}: two tools are named '{name}'.");
            definitions.Add(new ToolDefinition(name, function.String("description"), parameters?.Clone()));
        }
        return (definitions.Count == 0 ? null : tools, definitions);
    }

    private static ToolChoice ReadChoice(JsonFields fields, List<ToolDefinition> tools)
    {
        const string Param = "tool_choice";
        if (fields.Get(Param) is not { } value)
            return tools.Count > 0 ? ToolChoice.Auto : ToolChoice.None;
        ToolChoice choice;
        if (value.ValueKind == JsonValueKind.String)
        {
            choice = JsonFields.ReadString(value, Param) switch
            {
                "auto" => ToolChoice.Auto,
                "none" => ToolChoice.None,
                "required" => ToolChoice.Required,
                _ => throw ApiException.BadRequest(Param, "tool_choice must be \"auto\", \"none\", \"required\" or a function."),
            };
        }
        else
        {
            var named = new JsonFields(value, Param);
            if (named.String("type") != "function")
                throw ApiException.BadRequest(named.PathOf("type"), $"{named.PathOf("type")} must be \"function\".");
            var function = new JsonFields(named.Get("function") ?? throw named.Missing("function"), named.PathOf("function"));
            string name = function.String("name") ?? throw function.Missing("name");
            if (tools.All(t => t.Name != name))
                throw ApiException.BadRequest(function.PathOf("name"), $"{function.PathOf("name")}: no tool is named '{name}'.");
            choice = ToolChoice.Function(name);
        }
        if (choice.Forces && tools.Count == 0)
            throw ApiException.BadRequest(Param, "tool_choice asks for a tool call, but no tools are given.");
        return choice;
    }
}

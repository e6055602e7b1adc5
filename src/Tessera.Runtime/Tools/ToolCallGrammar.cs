using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Runtime.Grammars;

namespace Tessera.Runtime.Tools;

/// <summary>
/// The grammar that forces calls (tool_choice required or a named function): the format's markers around call objects
/// whose name is one of the allowed functions and whose arguments follow that function's parameter schema. Schema
/// keywords a grammar cannot express (bounds, patterns) are dropped rather than refused, so any declared tool can be
/// forced; the call keeps its shape. <c>$defs</c> of every tool are gathered at the top so their references resolve.
/// </summary>
public static class ToolCallGrammar
{
    private const string CallRule = "toolcall";

    /// <summary>The grammar for <paramref name="choice"/> over <paramref name="tools"/>; <see cref="GrammarException"/> when a schema cannot be compiled.</summary>
    public static CompiledGrammar For(ToolCallFormat format, IReadOnlyList<ToolDefinition> tools, ToolChoice choice, bool parallel)
    {
        if (!choice.Forces)
            throw new ArgumentException("only required and named tool choices are forced by a grammar", nameof(choice));
        var allowed = choice.Mode == ToolChoiceMode.Function ? tools.Where(t => t.Name == choice.FunctionName).ToList() : tools.ToList();
        if (allowed.Count == 0)
            throw new GrammarException(choice.FunctionName is null ? "there are no tools to call" : $"no tool is named '{choice.FunctionName}'");
        using var schema = JsonDocument.Parse(CallSchema(format, allowed).ToJsonString());
        string calls = JsonSchemaGrammar.ToGbnf(schema.RootElement, CallRule, ignoreUnsupported: true);
        return CompiledGrammar.FromGbnf(format.CallsGbnf(CallRule, parallel) + calls);
    }

    /// <summary><c>{"anyOf": [{"type": "object", "properties": {"name": {"const": NAME}, KEY: PARAMETERS}, ...}]}</c>.</summary>
    private static JsonObject CallSchema(ToolCallFormat format, List<ToolDefinition> tools)
    {
        var definitions = new JsonObject();
        var options = new JsonArray();
        foreach (var tool in tools)
        {
            JsonNode parameters = tool.Parameters is { ValueKind: JsonValueKind.Object } given
                ? JsonNode.Parse(given.GetRawText())!
                : new JsonObject { ["type"] = "object" };
            foreach (string key in (ReadOnlySpan<string>)["$defs", "definitions"])
            {
                if (parameters is JsonObject body && body[key] is JsonObject defs)
                {
                    definitions[key] ??= new JsonObject();
                    foreach (var (name, value) in defs)
                        definitions[key]!.AsObject()[name] = value?.DeepClone();
                }
            }
            options.Add(new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["name"] = new JsonObject { ["const"] = tool.Name },
                    [format.ArgumentsKey] = parameters,
                },
                ["required"] = new JsonArray("name", format.ArgumentsKey),
                ["additionalProperties"] = false,
            });
        }
        definitions["anyOf"] = options;
        return definitions;
    }
}

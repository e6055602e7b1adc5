using System.Text.Json;
using Tessera.Runtime.Grammars;

namespace Tessera.Server.Api;

/// <summary>
/// The output constraint of a request: OpenAI's <c>response_format</c> (<c>{"type":"text"}</c>,
/// <c>{"type":"json_object"}</c>, <c>{"type":"json_schema","json_schema":{"name","schema","strict"}}</c>) or
/// llama-server's <c>grammar</c> (GBNF text) and <c>json_schema</c> (a schema object). At most one may be given; a
/// grammar or schema that cannot be compiled is a 400 naming the field and where inside it the problem is.
/// </summary>
internal static class ResponseFormatParser
{
    public static CompiledGrammar? Parse(JsonFields fields)
    {
        var given = new[] { "response_format", "grammar", "json_schema" }.Where(name => fields.Get(name) is { ValueKind: not JsonValueKind.Null }).ToList();
        if (given.Count > 1)
            throw ApiException.BadRequest(fields.PathOf(given[1]), $"give only one of {string.Join(", ", given)}.");
        if (given.Count == 0)
            return null;
        string name = given[0];
        var value = fields.Get(name)!.Value;
        return name switch
        {
            "grammar" => Compile(fields.PathOf(name), () => CompiledGrammar.FromGbnf(JsonFields.ReadString(value, fields.PathOf(name)))),
            "json_schema" => Schema(value, fields.PathOf(name)),
            _ => ResponseFormat(new JsonFields(value.ValueKind == JsonValueKind.Object ? value : throw fields.TypeError(name, "an object"), fields.PathOf(name))),
        };
    }

    private static CompiledGrammar? ResponseFormat(JsonFields format)
    {
        string type = format.String("type") ?? throw format.Missing("type");
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                return CompiledGrammar.JsonObject;
            case "json_schema":
                var wrapper = format.Get("json_schema") is { ValueKind: JsonValueKind.Object } inner
                    ? new JsonFields(inner, format.PathOf("json_schema"))
                    : throw format.TypeError("json_schema", "an object with a schema");
                _ = wrapper.String("name");
                _ = wrapper.String("description");
                _ = wrapper.Bool("strict"); // the grammar always holds the output to the schema
                var schema = wrapper.Get("schema") ?? throw wrapper.Missing("schema");
                return Schema(schema, wrapper.PathOf("schema"));
            default:
                throw ApiException.BadRequest(format.PathOf("type"), $"{format.PathOf("type")} must be text, json_object or json_schema.");
        }
    }

    private static CompiledGrammar Schema(JsonElement schema, string path) =>
        Compile(path, () => CompiledGrammar.FromJsonSchema(schema));

    /// <summary>Runs a grammar compilation; its error becomes a 400 naming <paramref name="path"/>.</summary>
    public static CompiledGrammar Compile(string path, Func<CompiledGrammar> compile)
    {
        try
        {
            return compile();
        }
        catch (GrammarException e)
        {
            throw ApiException.BadRequest(path, $"{path}: {e.Message}", "invalid_grammar");
        }
    }
}

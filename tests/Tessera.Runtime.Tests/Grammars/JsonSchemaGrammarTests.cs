using System.Text.Json;
using Json.Schema;
using Tessera.Runtime.Grammars;

namespace Tessera.Runtime.Tests.Grammars;

/// <summary>
/// JSON schemas compiled to grammars, one keyword at a time: each valid example (written as the grammar lays JSON out:
/// properties in schema order) is accepted and each invalid one rejected, and JsonSchema.Net, an independent validator,
/// agrees with every verdict.
/// </summary>
public sealed class JsonSchemaGrammarTests
{
    public static readonly TheoryData<string, string[], string[]> Cases = new()
    {
        { """{"type":"string"}""", ["\"\"", "\"héllo \\\"w\\\" \\u00e9 😀\""], ["hi", "\"a\nb\"", "1"] },
        { """{"type":"integer"}""", ["0", "-17", "123456789"], ["01", "1.5", "\"1\"", "-"] },
        { """{"type":"number"}""", ["0", "-2.5", "3e10", "1.25E-3"], [".5", "1.", "NaN", "1e"] },
        { """{"type":"boolean"}""", ["true", "false"], ["True", "1", "null"] },
        { """{"type":"null"}""", ["null"], ["nil", "\"null\"", "0"] },
        { """{"type":["string","null"]}""", ["null", "\"x\""], ["1", "false"] },
        { """{"enum":["red","green",3,null]}""", ["\"red\"", "3", "null"], ["\"blue\"", "4", "\"Red\""] },
        { """{"const":{"a":[1,"b"]}}""", ["""{"a":[1,"b"]}"""], ["""{"a":[1,"c"]}""", "{}"] },
        {
            """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name"],"additionalProperties":false}""",
            ["""{"name": "Ann"}""", """{"name": "Ann", "age": 3}""", """{"name":"Ann","tags":["a", "b"]}""", "{\n  \"name\": \"Ann\",\n  \"age\": 3\n}"],
            ["{}", """{"age": 3}""", """{"name": "Ann", "extra": 1}""", """{"name": 5}"""]
        },
        {
            """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["b"]}""",
            ["""{"b": 1}""", """{"a": 1, "b": 2}"""],
            ["""{"a": 1}""", """{"a": 1, "b": 2,}""", """{, "b": 2}"""]
        },
        { """{"type":"object","additionalProperties":{"type":"integer"}}""", ["{}", """{"x": 1, "y": -2}"""], ["""{"x": "1"}""", "[]"] },
        { """{"type":"object","additionalProperties":false}""", ["{}"], ["""{"x": 1}"""] },
        { """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""", ["[1, 2]", "[1,2,3]"], ["[]", "[1]", "[1, 2, 3, 4]", "[1, \"2\"]"] },
        { """{"type":"array","maxItems":0}""", ["[]"], ["[1]"] },
        { """{"type":"array","items":{"type":"boolean"},"minItems":1}""", ["[true]", "[true, false, true]"], ["[]"] },
        { """{"type":"string","minLength":2,"maxLength":4}""", ["\"ab\"", "\"abcd\"", "\"é😀\""], ["\"a\"", "\"abcde\""] },
        { """{"anyOf":[{"type":"integer"},{"type":"array","items":{"type":"string"}}]}""", ["5", "[\"x\"]"], ["\"x\"", "[5]"] },
        { """{"oneOf":[{"type":"boolean"},{"type":"object","properties":{"k":{"const":1}},"required":["k"]}]}""", ["true", """{"k": 1}"""], ["""{"k": 2}""", "null"] },
        { """{"allOf":[{"type":"integer"}]}""", ["7"], ["7.5"] },
        { """{"type":"string","format":"date"}""", ["\"2024-02-28\"", "\"1999-12-31\"", "\"2023-04-30\""], ["\"2023-02-30\"", "\"2023-04-31\"", "\"2023-13-01\"", "\"23-01-01\""] },
        { """{"type":"string","format":"time"}""", ["\"23:59:59Z\"", "\"08:30:00.125+02:00\""], ["\"24:00:00Z\"", "\"12:60:00Z\"", "\"12:00\""] },
        { """{"type":"string","format":"date-time"}""", ["\"2024-01-15T10:20:30Z\""], ["\"2024-01-15T10:20Z\"", "\"2024-01-15\""] },
        { """{"type":"string","format":"uuid"}""", ["\"123e4567-e89b-12d3-a456-426614174000\""], ["\"123e4567e89b12d3a456426614174000\"", "\"123e4567-e89b-12d3-a456-42661417400g\""] },
        {
            """{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"],"additionalProperties":false}},"$ref":"#/$defs/node"}""",
            ["""{"v": 1}""", """{"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": [{"v": 4}]}]}"""],
            ["""{"v": 1, "kids": [{"kids": []}]}""", """{"v": 1, "kids": {"v": 2}}"""]
        },
        {
            """{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"p":{"$ref":"#/definitions/point"}},"required":["p"],"additionalProperties":false,"definitions":{"point":{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":2}}}""",
            ["""{"p": [1.5, -2]}"""],
            ["""{"p": [1]}""", """{"p": "x"}"""]
        },
        { "true", ["1", "\"s\"", """{"a": [null]}"""], ["", "{"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Valid_examples_are_accepted_invalid_ones_rejected_and_an_independent_validator_agrees(string schemaText, string[] valid, string[] invalid)
    {
        using var document = JsonDocument.Parse(schemaText);
        var grammar = CompiledGrammar.FromJsonSchema(document.RootElement);
        var validator = JsonSchema.FromText(schemaText);
        foreach (string text in valid)
        {
            Assert.True(GrammarMatcher.Matches(grammar, text), $"rejected valid {text}");
            Assert.True(Validates(validator, text), $"the validator rejects {text}: the example is wrong");
        }
        foreach (string text in invalid)
        {
            Assert.False(GrammarMatcher.Matches(grammar, text), $"accepted invalid {text}");
            Assert.False(Validates(validator, text), $"the validator accepts {text}: the example is wrong");
        }
    }

    /// <summary>JsonSchema.Net's verdict, formats asserted; text that does not parse is invalid.</summary>
    internal static bool Validates(JsonSchema validator, string text)
    {
        try
        {
            using var instance = JsonDocument.Parse(text);
            return validator.Evaluate(instance.RootElement, new EvaluationOptions { RequireFormatValidation = true }).IsValid;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a+$"}""", "at /: 'pattern' is not supported")]
    [InlineData("""{"type":"object","properties":{"age":{"type":"integer","minimum":0}}}""", "at /properties/age: 'minimum' is not supported")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"strin"}}}""", "at /properties/a/type: unknown type 'strin'")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "'#/$defs/missing' points to nothing")]
    [InlineData("""{"$ref":"https://example.com/schema.json"}""", "only references within the document")]
    [InlineData("""{"type":"object","properties":{"a":{}},"required":["b"]}""", "required property 'b' is not in 'properties'")]
    [InlineData("""{"type":"array","minItems":3,"maxItems":1}""", "'maxItems' is below 'minItems'")]
    [InlineData("""{"enum":[]}""", "'enum' must be a non-empty array")]
    [InlineData("""{"allOf":[{"type":"integer"},{"type":"number"}]}""", "'allOf' with more than one schema")]
    [InlineData("false", "matches nothing")]
    [InlineData("""{"$defs":{"loop":{"$ref":"#/$defs/loop"}},"$ref":"#/$defs/loop"}""", "can never finish")]
    public void Schemas_that_cannot_be_compiled_say_where(string schemaText, string message)
    {
        using var document = JsonDocument.Parse(schemaText);
        var error = Assert.Throws<GrammarException>(() => CompiledGrammar.FromJsonSchema(document.RootElement));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Annotations_and_unknown_formats_are_ignored()
    {
        using var document = JsonDocument.Parse("""{"title":"T","description":"d","type":"object","properties":{"mail":{"type":"string","format":"email","default":"x","examples":["a@b"]}},"required":["mail"],"$schema":"https://json-schema.org/draft/2020-12/schema"}""");
        var grammar = CompiledGrammar.FromJsonSchema(document.RootElement);
        Assert.True(GrammarMatcher.Matches(grammar, """{"mail": "anything"}"""));
    }
}

using System.Text.Json;
using Tessera.Runtime.Grammars;
using Tessera.Runtime.Tools;

namespace Tessera.Runtime.Tests.Tools;

/// <summary>The grammar that forces calls accepts calls to the allowed tools with valid arguments, and nothing else.</summary>
public sealed class ToolCallGrammarTests
{
    private static readonly ToolDefinition[] Tools =
    [
        new("get_weather", "Weather for a city.", JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1}},"required":["city"],"additionalProperties":false}""").RootElement),
        new("lookup", null, JsonDocument.Parse("""{"$defs":{"key":{"enum":["a","b"]}},"type":"object","properties":{"key":{"$ref":"#/$defs/key"}},"required":["key"],"additionalProperties":false}""").RootElement),
        new("ping", null, null),
    ];

    public static readonly TheoryData<string, string, string> Calls = new()
    {
        { "hermes", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>", "get_weather" },
        { "hermes", "<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"key\": \"b\"}}\n</tool_call>", "lookup" },
        { "hermes", "<tool_call>\n{\"name\": \"ping\", \"arguments\": {\"any\": [1]}}\n</tool_call>", "ping" },
        { "llama3-json", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", "get_weather" },
        { "mistral", "[{\"name\": \"lookup\", \"arguments\": {\"key\": \"a\"}}]", "lookup" },
    };

    private static ToolCallFormat Format(string name) =>
        new[] { ToolCallFormat.Hermes, ToolCallFormat.Llama3, ToolCallFormat.Mistral }.Single(f => f.Name == name);

    [Theory]
    [MemberData(nameof(Calls))]
    public void A_required_call_to_any_tool_matches_and_parses_back(string format, string text, string name)
    {
        var grammar = ToolCallGrammar.For(Format(format), Tools, ToolChoice.Required, parallel: false);
        Assert.True(GrammarMatcher.Matches(grammar, text), text);
        Assert.Equal(name, Assert.Single(Format(format).Parse(text).Calls).Name);
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>")]                      // undeclared tool
    [InlineData("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"days\": 3}}\n</tool_call>")]         // missing required city
    [InlineData("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": 5}}\n</tool_call>")]         // wrong type
    [InlineData("<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"key\": \"c\"}}\n</tool_call>")]           // not in the referenced enum
    [InlineData("Sure! <tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>")]                     // text before the call
    [InlineData("<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>")] // two calls, not parallel
    public void Anything_but_one_valid_call_is_refused(string text)
    {
        var grammar = ToolCallGrammar.For(ToolCallFormat.Hermes, Tools, ToolChoice.Required, parallel: false);
        Assert.False(GrammarMatcher.Matches(grammar, text), text);
    }

    [Fact]
    public void Parallel_calls_allow_several()
    {
        var grammar = ToolCallGrammar.For(ToolCallFormat.Hermes, Tools, ToolChoice.Required, parallel: true);
        const string Two = "<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"key\": \"a\"}}\n</tool_call>";
        Assert.True(GrammarMatcher.Matches(grammar, Two));
        Assert.Equal(2, ToolCallFormat.Hermes.Parse(Two).Calls.Count);
        var mistral = ToolCallGrammar.For(ToolCallFormat.Mistral, Tools, ToolChoice.Required, parallel: true);
        Assert.True(GrammarMatcher.Matches(mistral, "[{\"name\": \"ping\", \"arguments\": {}}, {\"name\": \"ping\", \"arguments\": {}}]"));
    }

    [Fact]
    public void A_named_function_allows_only_that_function()
    {
        var grammar = ToolCallGrammar.For(ToolCallFormat.Hermes, Tools, ToolChoice.Function("lookup"), parallel: true);
        Assert.True(GrammarMatcher.Matches(grammar, "<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"key\": \"a\"}}\n</tool_call>"));
        Assert.False(GrammarMatcher.Matches(grammar, "<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>"));
        var error = Assert.Throws<GrammarException>(() => ToolCallGrammar.For(ToolCallFormat.Hermes, Tools, ToolChoice.Function("nope"), parallel: false));
        Assert.Contains("nope", error.Message);
    }
}

using System.Text.Json;
using Tessera.Runtime.Tools;

namespace Tessera.Runtime.Tests.Tools;

/// <summary>Each format's parser on answers written the way models of that family write them, and on broken ones.</summary>
public sealed class ToolCallFormatTests
{
    private static void AssertCall(ToolCall call, string name, string arguments)
    {
        Assert.Equal(name, call.Name);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(arguments).RootElement, JsonDocument.Parse(call.Arguments).RootElement),
            $"arguments {call.Arguments}");
        Assert.StartsWith("call_", call.Id);
    }

    [Fact]
    public void Hermes_calls_are_read_with_the_text_around_them()
    {
        var parsed = ToolCallFormat.Hermes.Parse(
            "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");
        Assert.Equal("Let me check.", parsed.Content);
        Assert.Equal(2, parsed.Calls.Count);
        AssertCall(parsed.Calls[0], "get_weather", """{"city":"Paris"}""");
        AssertCall(parsed.Calls[1], "get_time", "{}");
        Assert.NotEqual(parsed.Calls[0].Id, parsed.Calls[1].Id);
        Assert.Equal("""{"city":"Paris"}""", parsed.Calls[0].Arguments);
    }

    [Fact]
    public void Hermes_arguments_given_as_a_json_string_are_read_as_the_object()
    {
        var parsed = ToolCallFormat.Hermes.Parse("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_call>");
        AssertCall(Assert.Single(parsed.Calls), "f", """{"x":1}""");
        Assert.Equal("", parsed.Content);
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}\n</tool_call>")]      // unbalanced braces
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}")]                   // cut before the closing tag
    [InlineData("<tool_call>\n{\"arguments\": {}}\n</tool_call>")]                              // no name
    [InlineData("<tool_call>\n{\"name\": 3, \"arguments\": {}}\n</tool_call>")]                 // name not a string
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": [1]}\n</tool_call>")]           // arguments not an object
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": {}} {\"name\": \"g\", \"arguments\": {}}\n</tool_call>")] // two in one tag
    [InlineData("ok <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> then <tool_call>nonsense</tool_call>")]
    [InlineData("no calls here, just < and > and {\"name\": \"f\"}")]
    public void Broken_hermes_calls_leave_the_whole_answer_as_text(string answer)
    {
        var parsed = ToolCallFormat.Hermes.Parse(answer);
        Assert.Empty(parsed.Calls);
        Assert.Equal(answer, parsed.Content);
    }

    [Theory]
    [InlineData("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}")]
    [InlineData("  <|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}")]
    [InlineData("\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n")]
    public void Llama3_json_answers_are_calls(string answer)
    {
        var parsed = ToolCallFormat.Llama3.Parse(answer);
        AssertCall(Assert.Single(parsed.Calls), "get_weather", """{"city":"Paris"}""");
        Assert.Equal("", parsed.Content);
    }

    [Fact]
    public void Llama3_calls_separated_by_semicolons_are_all_read()
    {
        var parsed = ToolCallFormat.Llama3.Parse("{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"k\": [1, 2]}}");
        Assert.Equal(["a", "b"], parsed.Calls.Select(c => c.Name));
        AssertCall(parsed.Calls[1], "b", """{"k":[1,2]}""");
    }

    [Theory]
    [InlineData("The answer is {\"name\": \"f\", \"parameters\": {}}")]       // text first: not a call
    [InlineData("{\"name\": \"f\", \"parameters\": {}")]                       // cut short
    [InlineData("{\"temperature\": 18}")]                                       // JSON, but no call
    [InlineData("{\"name\": \"f\", \"parameters\": {}} and then some words")]
    public void Llama3_answers_that_are_not_calls_stay_text(string answer)
    {
        var parsed = ToolCallFormat.Llama3.Parse(answer);
        Assert.Empty(parsed.Calls);
        Assert.Equal(answer, parsed.Content);
    }

    [Theory]
    [InlineData("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abc123XYZ\"}]", "")]
    [InlineData("[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", "")]
    [InlineData("Sure. [TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", "Sure.")]
    public void Mistral_call_arrays_are_calls_with_nine_character_ids(string answer, string content)
    {
        var parsed = ToolCallFormat.Mistral.Parse(answer);
        var call = Assert.Single(parsed.Calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("""{"city":"Paris"}""", call.Arguments);
        Assert.Matches("^[A-Za-z0-9]{9}$", call.Id);
        Assert.Equal(content, parsed.Content);
    }

    [Theory]
    [InlineData("[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}")]
    [InlineData("[TOOL_CALLS][]")]
    [InlineData("[1, 2, 3]")]
    [InlineData("[TOOL_CALLS][{\"name\": \"f\"}]")]
    [InlineData("Just text.")]
    public void Broken_mistral_calls_stay_text(string answer)
    {
        var parsed = ToolCallFormat.Mistral.Parse(answer);
        Assert.Empty(parsed.Calls);
        Assert.Equal(answer, parsed.Content);
    }

    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct", "hermes")]
    [InlineData("Qwen-Qwen3-0.6B", "hermes")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct", "llama3-json")]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct", "llama3-json")]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407", "mistral")]
    [InlineData("google-gemma-2-2b-it", "hermes")]
    public void The_format_is_chosen_from_the_chat_template(string template, string format)
    {
        string source = File.ReadAllText(Path.Combine(Testing.SharedData.Root, "chat-templates", "templates", template + ".jinja"));
        Assert.Equal(format, ToolCallFormat.ForTemplate(source).Name);
    }
}

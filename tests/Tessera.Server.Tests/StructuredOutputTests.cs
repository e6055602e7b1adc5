using System.Text.Json;
using Json.Schema;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

#pragma warning disable OPENAI001 // Seed is marked experimental by the client library.

/// <summary>response_format, and llama-server's grammar and json_schema fields: output held to the grammar, bad ones a 400.</summary>
public sealed class StructuredOutputTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private const string Person = """{"type":"object","properties":{"name":{"type":"string","maxLength":10},"age":{"type":"integer"},"pets":{"type":"array","items":{"enum":["cat","dog"]},"maxItems":2}},"required":["name","age"],"additionalProperties":false}""";

    private TestServer Server => fixture.Server;
    private ChatClient Chat => Server.Client.GetChatClient(TestServer.StoriesId);

    private static bool Validates(string schema, string text)
    {
        try
        {
            using var instance = JsonDocument.Parse(text);
            return JsonSchema.FromText(schema).Evaluate(instance.RootElement, new EvaluationOptions { RequireFormatValidation = true }).IsValid;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_strict_json_schema_holds_every_sampled_answer_through_the_OpenAI_client()
    {
        var outputs = new HashSet<string>();
        for (int seed = 0; seed < 6; seed++)
        {
            var options = new ChatCompletionOptions
            {
                Temperature = 1,
                Seed = seed,
                MaxOutputTokenCount = 48,
                ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(Person), jsonSchemaIsStrict: true),
            };
            ChatCompletion result = await Chat.CompleteChatAsync([new UserChatMessage("Describe a person.")], options);
            string text = result.Content[0].Text;
            Assert.True(Validates(Person, text), $"seed {seed}: {text}");
            outputs.Add(text);
        }
        Assert.True(outputs.Count > 1, "every seed gave the same answer");
    }

    [Fact]
    public async Task Streamed_json_object_answers_join_into_one_object()
    {
        var options = new ChatCompletionOptions { Temperature = 1, Seed = 3, MaxOutputTokenCount = 40, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };
        var text = new System.Text.StringBuilder();
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Give me JSON.")], options))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
        }
        using var json = JsonDocument.Parse(text.ToString());
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
    }

    [Fact]
    public async Task A_gbnf_grammar_on_completions_ends_the_answer_when_it_is_complete()
    {
        var answers = new HashSet<string>();
        for (int seed = 0; seed < 8; seed++)
        {
            var result = await Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new
            {
                prompt = "Is the sky blue?",
                grammar = "root ::= (\"yes\" | \"no\") \", because \" [a-z]{1,3}",
                temperature = 1.5,
                seed,
                max_tokens = 30,
            }));
            var choice = result.GetProperty("choices")[0];
            string text = choice.GetProperty("text").GetString()!;
            Assert.Matches("^(yes|no), because [a-z]{1,3}$", text);
            Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
            answers.Add(text);
        }
        Assert.True(answers.Count > 1);
    }

    [Fact]
    public async Task Llama_server_json_schema_field_works_on_both_endpoints()
    {
        const string Schema = """{"type":"array","items":{"type":"string","format":"date"},"minItems":1,"maxItems":2}""";
        var completion = await Server.PostJsonAsync("/v1/completions", $$"""{"prompt":"Dates:","json_schema":{{Schema}},"temperature":1,"seed":5,"max_tokens":40}""");
        Assert.True(Validates(Schema, completion.GetProperty("choices")[0].GetProperty("text").GetString()!));
        var chat = await Server.PostJsonAsync("/v1/chat/completions", $$"""{"messages":[{"role":"user","content":"Dates?"}],"json_schema":{{Schema}},"temperature":1,"seed":6,"max_tokens":40}""");
        Assert.True(Validates(Schema, chat.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!));
    }

    [Theory]
    [InlineData("""{"response_format":{"type":"xml"}}""", "response_format.type", "must be text, json_object or json_schema")]
    [InlineData("""{"response_format":{"type":"json_schema"}}""", "response_format.json_schema", "must be an object")]
    [InlineData("""{"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"string","pattern":"a+"}}}}}}""", "response_format.json_schema.schema", "at /properties/a: 'pattern' is not supported")]
    [InlineData("""{"grammar":"root ::= \"a"}""", "grammar", "line 1, column 10: the string literal is not closed")]
    [InlineData("""{"grammar":"start ::= \"a\""}""", "grammar", "no 'root' rule")]
    [InlineData("""{"json_schema":{"$ref":"#/nowhere"}}""", "json_schema", "points to nothing")]
    [InlineData("""{"grammar":"root ::= \"a\"","json_schema":{}}""", "json_schema", "give only one of")]
    public async Task Bad_formats_are_a_400_naming_the_field_and_the_place(string fields, string param, string message)
    {
        string body = fields.Insert(1, "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,");
        var error = (await Server.PostJsonAsync("/v1/chat/completions", body, 400)).GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }
}

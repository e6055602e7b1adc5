using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>Bad requests: each gets its exact status and OpenAI's error shape naming the offending param.</summary>
public sealed class ValidationTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private const string Model = $"\"model\":\"{TestServer.StoriesId}\"";
    private const string UserMessage = """[{"role":"user","content":"hi"}]""";
    private const int Vocabulary = 512;

    /// <summary>A chat request with the given extra fields.</summary>
    private static string Chat(string extra) => $$"""{{{Model}},"messages":{{UserMessage}},"max_tokens":4{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private static string Messages(string messages) => $$"""{{{Model}},"messages":{{messages}},"max_tokens":4}""";

    private static string Text(string extra) => $$"""{{{Model}},"prompt":"hi","max_tokens":4{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private static string Prompt(string prompt) => $$"""{{{Model}},"prompt":{{prompt}},"max_tokens":4}""";

    private const string ChatPath = "/v1/chat/completions";
    private const string TextPath = "/v1/completions";

    public static TheoryData<string, string, int, string?> Cases() => new()
    {
        // Body shape
        { ChatPath, "{\"model\":", 400, null },
        { ChatPath, "not json", 400, null },
        { ChatPath, "[1,2]", 400, null },
        { ChatPath, "", 400, null },
        { ChatPath, Chat("\"x\":" + new string('[', 70) + new string(']', 70)), 400, null },
        // Messages
        { ChatPath, $$"""{{{Model}},"max_tokens":4}""", 400, "messages" },
        { ChatPath, Messages("[]"), 400, "messages" },
        { ChatPath, Messages("\"hi\""), 400, "messages" },
        { ChatPath, Messages("[1]"), 400, "messages[0]" },
        { ChatPath, Messages("""[{"content":"hi"}]"""), 400, "messages[0].role" },
        { ChatPath, Messages("""[{"role":"wizard","content":"hi"}]"""), 400, "messages[0].role" },
        { ChatPath, Messages("""[{"role":7,"content":"hi"}]"""), 400, "messages[0].role" },
        { ChatPath, Messages("""[{"role":"user","content":"a"},{"role":"user","content":5}]"""), 400, "messages[1].content" },
        { ChatPath, Messages("""[{"role":"user"}]"""), 400, "messages[0].content" },
        { ChatPath, Messages("""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]"""), 400, "messages[0].content[0].type" },
        { ChatPath, Messages("""[{"role":"user","content":[{"type":"text"}]}]"""), 400, "messages[0].content[0].text" },
        // Tools
        { ChatPath, Chat("\"tools\":5"), 400, "tools" },
        { ChatPath, Chat("\"tools\":[{\"type\":\"retrieval\"}]"), 400, "tools[0].type" },
        { ChatPath, Chat("\"tools\":[{\"type\":\"function\"}]"), 400, "tools[0].function" },
        { ChatPath, Chat("\"tools\":[{\"type\":\"function\",\"function\":{}}]"), 400, "tools[0].function.name" },
        { ChatPath, Messages("""[{"role":"assistant","tool_calls":{}}]"""), 400, "messages[0].tool_calls" },
        { ChatPath, Messages("""[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"arguments":"{}"}}]}]"""), 400, "messages[1].tool_calls[0].function.name" },
        { ChatPath, Messages("""[{"role":"assistant"}]"""), 400, "messages[0].content" },
        // Model
        { ChatPath, Chat("\"model\":5").Replace($"{Model},", ""), 400, "model" },
        { ChatPath, Chat("").Replace(TestServer.StoriesId, "gpt-nothing"), 404, "model" },
        // Limits and sampling fields
        { ChatPath, Chat("\"max_tokens\":0").Replace("\"max_tokens\":4,", ""), 400, "max_tokens" },
        { ChatPath, Chat("\"max_tokens\":-3").Replace("\"max_tokens\":4,", ""), 400, "max_tokens" },
        { ChatPath, Chat("\"max_tokens\":1.5").Replace("\"max_tokens\":4,", ""), 400, "max_tokens" },
        { ChatPath, Chat("\"max_tokens\":\"10\"").Replace("\"max_tokens\":4,", ""), 400, "max_tokens" },
        { ChatPath, Chat("\"max_completion_tokens\":0"), 400, "max_completion_tokens" },
        { ChatPath, Chat("\"max_tokens\":100000").Replace("\"max_tokens\":4,", ""), 400, "max_tokens" },
        { ChatPath, Chat("\"n\":0"), 400, "n" },
        { ChatPath, Chat("\"n\":9"), 400, "n" },
        { ChatPath, Chat("\"n\":\"two\""), 400, "n" },
        { ChatPath, Chat("\"temperature\":-0.1"), 400, "temperature" },
        { ChatPath, Chat("\"temperature\":2.5"), 400, "temperature" },
        { ChatPath, Chat("\"temperature\":\"hot\""), 400, "temperature" },
        { ChatPath, Chat("\"top_p\":1.5"), 400, "top_p" },
        { ChatPath, Chat("\"top_p\":-1"), 400, "top_p" },
        { ChatPath, Chat("\"presence_penalty\":3"), 400, "presence_penalty" },
        { ChatPath, Chat("\"frequency_penalty\":-2.5"), 400, "frequency_penalty" },
        { ChatPath, Chat("\"top_k\":-1"), 400, "top_k" },
        { ChatPath, Chat("\"min_p\":1.2"), 400, "min_p" },
        { ChatPath, Chat("\"repeat_penalty\":0"), 400, "repeat_penalty" },
        { ChatPath, Chat("\"seed\":\"abc\""), 400, "seed" },
        { ChatPath, Chat("\"seed\":1.5"), 400, "seed" },
        { ChatPath, Chat("\"stream\":\"yes\""), 400, "stream" },
        { ChatPath, Chat("\"stream_options\":{\"include_usage\":1}"), 400, "stream_options.include_usage" },
        { ChatPath, Chat("\"user\":42"), 400, "user" },
        // Stop
        { ChatPath, Chat("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), 400, "stop" },
        { ChatPath, Chat("\"stop\":[\"a\",3]"), 400, "stop[1]" },
        { ChatPath, Chat("\"stop\":7"), 400, "stop" },
        { ChatPath, Chat("\"stop\":\"\""), 400, "stop" },
        // Logit bias and logprobs
        { ChatPath, Chat("\"logit_bias\":[1]"), 400, "logit_bias" },
        { ChatPath, Chat("\"logit_bias\":{\"abc\":1}"), 400, "logit_bias" },
        { ChatPath, Chat($"\"logit_bias\":{{\"{Vocabulary}\":1}}"), 400, "logit_bias" },
        { ChatPath, Chat("\"logit_bias\":{\"-1\":1}"), 400, "logit_bias" },
        { ChatPath, Chat("\"logit_bias\":{\"5\":101}"), 400, "logit_bias" },
        { ChatPath, Chat("\"logit_bias\":{\"5\":\"x\"}"), 400, "logit_bias" },
        { ChatPath, Chat("\"logprobs\":\"yes\""), 400, "logprobs" },
        { ChatPath, Chat("\"logprobs\":true,\"top_logprobs\":21"), 400, "top_logprobs" },
        { ChatPath, Chat("\"top_logprobs\":2"), 400, "top_logprobs" },
        // Text completions
        { TextPath, $$"""{{{Model}},"max_tokens":4}""", 400, "prompt" },
        { TextPath, Prompt("5"), 400, "prompt" },
        { TextPath, Prompt("[]"), 400, "prompt" },
        { TextPath, Prompt("[1, -1]"), 400, "prompt[1]" },
        { TextPath, Prompt($"[1, {Vocabulary}]"), 400, "prompt[1]" },
        { TextPath, Prompt("[1, 2.5]"), 400, "prompt[1]" },
        { TextPath, Prompt($"[[1, 2], [3, {Vocabulary}]]"), 400, "prompt[1][1]" },
        { TextPath, Prompt("[\"a\", 5]"), 400, "prompt[1]" },
        { TextPath, Prompt("[[]]"), 400, "prompt[0]" },
        { TextPath, Text("\"logprobs\":6"), 400, "logprobs" },
        { TextPath, Text("\"n\":3").Replace("\"prompt\":\"hi\"", "\"prompt\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]"), 400, "n" },
        { TextPath, Prompt("\"" + string.Concat(Enumerable.Repeat("the cat sat. ", 400)) + "\""), 400, "prompt" },
        // Text that is not Unicode (a lone surrogate escape)
        { ChatPath, Messages("""[{"role":"user","content":"a\ud800b"}]"""), 400, "messages[0].content" },
        { ChatPath, Chat("\"stop\":[\"\\udc00\"]"), 400, "stop[0]" },
        { TextPath, Prompt("\"\\ud800\""), 400, "prompt" },
        // Tokenize
        { "/tokenize", "{}", 400, "content" },
        { "/tokenize", "{\"content\":5}", 400, "content" },
        { "/detokenize", "{\"tokens\":[1,99999]}", 400, "tokens[1]" },
        { "/detokenize", "{\"tokens\":\"abc\"}", 400, "tokens" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_request_gets_status_and_param(string path, string body, int status, string? param)
    {
        using var response = await fixture.Server.PostAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal(status == 404 || status == 400 ? "invalid_request_error" : error.GetProperty("type").GetString(), error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var actualParam = error.GetProperty("param");
        Assert.Equal(param, actualParam.ValueKind == JsonValueKind.Null ? null : actualParam.GetString());
        Assert.True(error.TryGetProperty("code", out _));
    }

    [Fact]
    public async Task Context_overflow_reports_the_counts()
    {
        using var response = await fixture.Server.PostAsync(TextPath, Text("").Replace("\"max_tokens\":4", "\"max_tokens\":1022"));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        int promptTokens = Reference.TextPrompt("hi").Length;
        Assert.Contains($"{promptTokens} in the prompt, 1022 for the completion", error.GetProperty("message").GetString());
        Assert.Contains("1024", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Errors_do_not_echo_the_request()
    {
        const string marker = "ZZ_SECRET_MARKER";
        foreach (string body in new[] { $"{{\"{marker}\"", Messages($$"""[{"role":"{{marker}}","content":"x"}]"""), Chat("").Replace(TestServer.StoriesId, marker) })
        {
            using var response = await fixture.Server.PostAsync(ChatPath, body);
            Assert.DoesNotContain(marker, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        // HttpClient would fail writing the rest of the body after the early answer, so speak HTTP over a socket:
        // announce a body over the limit, send a little of it and read what comes back.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(fixture.Server.Server.BaseAddress.Host, fixture.Server.Server.BaseAddress.Port);
        var stream = socket.GetStream();
        string head = $"POST {ChatPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {9 << 20}\r\n\r\n{{\"user\":\"";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream);
        string? status = await reader.ReadLineAsync().WaitAsync(TestServer.Timeout);
        Assert.StartsWith("HTTP/1.1 413", status);
    }
}

/// <summary>Every field set to every kind of JSON value: the answer is a success or a 4xx, never a server error.</summary>
public sealed class FieldFuzzTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private static readonly string[] Fields =
    [
        "model", "messages", "prompt", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop", "seed",
        "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "stream", "stream_options", "user",
        "top_k", "min_p", "repeat_penalty",
    ];

    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1", "2.5", "1e308", "-1e308", "9223372036854775808", "\"\"", "\"x\"", "\"\\u0000\"",
        "[]", "[1]", "[\"a\"]", "[[1]]", "{}", "{\"1\":1}", "{\"include_usage\":true}", "[{\"role\":\"user\",\"content\":\"hi\"}]",
    ];

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/completions")]
    public async Task No_field_value_causes_a_server_error(string path)
    {
        foreach (string field in Fields)
        {
            foreach (string value in Values)
            {
                var body = new Dictionary<string, string>
                {
                    ["messages"] = """[{"role":"user","content":"hi"}]""",
                    ["prompt"] = "\"hi\"",
                    ["max_tokens"] = "3",
                    [field] = value,
                };
                string json = "{" + string.Join(",", body.Select(pair => $"\"{pair.Key}\":{pair.Value}")) + "}";
                using var response = await fixture.Server.PostAsync(path, json);
                string text = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode < 500, $"{field}={value}: {(int)response.StatusCode} {text}");
            }
        }
    }
}

using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenAI.Chat;

namespace Tessera.Server.Tests;

/// <summary>API key, Host header check on loopback, CORS.</summary>
public sealed class AccessTests
{
    private const string Key = "test-key-123";

    [Fact]
    public async Task An_api_key_guards_everything_but_health()
    {
        await using var server = await TestServer.StartAsync(parallel: 1, apiKey: Key);
        var chat = server.Client.GetChatClient(TestServer.StoriesId);
        ChatCompletion ok = await chat.CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });
        Assert.Equal(2, ok.Usage.OutputTokenCount);

        using var anonymous = new HttpClient { BaseAddress = server.Server.BaseAddress };
        foreach (string? header in new[] { null, "Bearer wrong", "Bearer test-key-12", "Basic test-key-123", "Bearer test-key-1234" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            if (header is not null)
                request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        }
        using (var metrics = await anonymous.GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        using var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        var wrong = new OpenAI.OpenAIClient(new ApiKeyCredential("nope"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(server.Server.BaseAddress, "/v1") });
        var denied = await Assert.ThrowsAsync<ClientResultException>(() => wrong.GetChatClient(TestServer.StoriesId).CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(401, denied.Status);
    }

    [Theory]
    [InlineData("evil.example.com", HttpStatusCode.Forbidden)]
    [InlineData("192.168.1.10", HttpStatusCode.Forbidden)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    public async Task On_loopback_only_local_host_names_are_answered(string host, HttpStatusCode expected)
    {
        await using var server = await TestServer.StartAsync(parallel: 1);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Host = $"{host}:{server.Server.BaseAddress.Port}";
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Cors_is_off_unless_origins_are_listed()
    {
        await using var closed = await TestServer.StartAsync(parallel: 1);
        using (var response = await closed.Http.SendAsync(Preflight()))
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));

        await using var open = await TestServer.StartAsync(parallel: 1, configure: options => options with { CorsOrigins = ["http://app.test"] });
        using (var response = await open.Http.SendAsync(Preflight()))
            Assert.Equal("http://app.test", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    private static HttpRequestMessage Preflight()
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
        request.Headers.Add("Origin", "http://app.test");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }
}

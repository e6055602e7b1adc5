using System.Net;
using System.Text.Json;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>/health, /v1/models, /tokenize and /detokenize.</summary>
public sealed class InfoEndpointTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task Health_is_ok_when_the_model_is_loaded()
    {
        using var response = await Server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_is_503_until_the_model_is_loaded_and_a_model_that_cannot_load_stays_503()
    {
        using var missing = new TempFile(".gguf");
        File.WriteAllBytes(missing.Path, [1, 2, 3]);
        await using var server = await TesseraServer.StartAsync(new ServerOptions { ModelPath = missing.Path, Port = 0, Threads = 1 });
        await Assert.ThrowsAnyAsync<Exception>(() => server.Ready.WaitAsync(TestServer.Timeout));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Models_lists_the_served_model_and_finds_it_by_id()
    {
        var models = (await Server.Client.GetOpenAIModelClient().GetModelsAsync()).Value;
        var model = Assert.Single(models);
        Assert.Equal(TestServer.StoriesId, model.Id);
        var one = (await Server.Client.GetOpenAIModelClient().GetModelAsync(TestServer.StoriesId)).Value;
        Assert.Equal(TestServer.StoriesId, one.Id);
        using var missing = await Server.Http.GetAsync("/v1/models/other");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Tokenize_matches_our_tokenizer_and_detokenize_inverts_it()
    {
        const string text = "Lily liked to play with her ball.";
        int[] tokens = await Server.TokenizeAsync(text);
        Assert.Equal(Reference.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true), tokens);
        var plain = await Server.PostJsonAsync("/tokenize", """{"content":"Lily liked to play with her ball.","add_special":false}""");
        Assert.Equal(tokens.Length - 1, plain.GetProperty("tokens").GetArrayLength());
        var back = await Server.PostJsonAsync("/detokenize", JsonSerializer.Serialize(new { tokens = plain.GetProperty("tokens") }));
        Assert.Equal(text, back.GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_wrong_method_is_405_in_the_error_shape()
    {
        using var response = await Server.Http.GetAsync("/v1/chat/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("method_not_allowed", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unknown_path_is_404_in_the_error_shape()
    {
        using var response = await Server.Http.GetAsync("/v1/nothing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("not_found", error.GetProperty("code").GetString());
    }
}

using System.Net;
using System.Text.Json;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>GET /api/ps: what the server has loaded.</summary>
public sealed class PsEndpointTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    [Fact]
    public async Task Lists_the_loaded_model_with_its_devices_memory_slots_and_times()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var response = await fixture.Server.Http.GetAsync("/api/ps");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var model = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("models").EnumerateArray());

        string path = SharedData.Model(TestServer.StoriesModel);
        Assert.Equal(TestServer.StoriesId, model.GetProperty("id").GetString());
        Assert.Equal(Path.GetFullPath(path), Path.GetFullPath(model.GetProperty("path").GetString()!));
        Assert.Equal(new FileInfo(path).Length, model.GetProperty("size_bytes").GetInt64());
        // The CPU holds everything here; an accelerator, where one is found, is listed with no parts.
        var device = Assert.Single(model.GetProperty("devices").EnumerateArray(), d => d.GetProperty("kind").GetString() == "cpu");
        Assert.False(string.IsNullOrEmpty(device.GetProperty("parts").GetString()));
        Assert.True(device.GetProperty("weight_bytes").GetInt64() > 0);
        Assert.True(model.GetProperty("kv_cache_bytes").GetInt64() > 0);
        Assert.Equal(0, model.GetProperty("slots_busy").GetInt32());
        Assert.Equal(4, model.GetProperty("slots_total").GetInt32());
        Assert.Equal(1024, model.GetProperty("context_size").GetInt32());
        long loadedAt = model.GetProperty("loaded_at").GetInt64();
        Assert.InRange(loadedAt, before - 3600, before);
        Assert.InRange(model.GetProperty("uptime_seconds").GetInt64(), 0, before - loadedAt + 1);
    }

    [Fact]
    public async Task Is_503_when_no_model_is_loaded()
    {
        using var broken = new TempFile(".gguf");
        File.WriteAllBytes(broken.Path, [1, 2, 3]);
        await using var server = await TesseraServer.StartAsync(new ServerOptions { ModelPath = broken.Path, Port = 0, Threads = 1 });
        await Assert.ThrowsAnyAsync<Exception>(() => server.Ready.WaitAsync(TestServer.Timeout));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync("/api/ps");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("server_error", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Needs_the_api_key_but_the_chat_page_does_not()
    {
        await using var server = await TestServer.StartAsync(parallel: 1, apiKey: "ps-key");
        using var anonymous = new HttpClient { BaseAddress = server.Server.BaseAddress };
        using (var denied = await anonymous.GetAsync("/api/ps"))
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        using (var page = await anonymous.GetAsync("/"))
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var allowed = await server.Http.GetAsync("/api/ps");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }
}

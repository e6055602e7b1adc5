using System.Net;
using System.Text.Json;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>One server, several models: chosen by the request's "model", loaded on first use, least recently used unloaded.</summary>
public sealed class MultiModelTests
{
    private const string Llama = "llama-2-tiny-random";
    private const string Qwen = "syn-qwen2-Q8_0";

    private static ModelSource Source(string id) => new(id, SharedData.Model(id + ".gguf"));

    private static Task<TestServer> StartAsync(int maxLoaded = ServerOptions.DefaultMaxLoadedModels, long budget = 0, params ModelSource[] more) =>
        TestServer.StartAsync(parallel: 2, contextSize: 256, configure: options => options with
        {
            AdditionalModels = more,
            MaxLoadedModels = maxLoaded,
            MemoryBudgetBytes = budget,
        });

    private static async Task<(string Model, string Text)> CompleteAsync(TestServer server, string? model)
    {
        string body = JsonSerializer.Serialize(model is null
            ? new Dictionary<string, object> { ["prompt"] = "Once upon a time", ["max_tokens"] = 6, ["temperature"] = 0 }
            : new Dictionary<string, object> { ["model"] = model, ["prompt"] = "Once upon a time", ["max_tokens"] = 6, ["temperature"] = 0 });
        var answer = await server.PostJsonAsync("/v1/completions", body);
        return (answer.GetProperty("model").GetString()!, answer.GetProperty("choices")[0].GetProperty("text").GetString()!);
    }

    private static async Task<Dictionary<string, string>> StatusesAsync(TestServer server)
    {
        using var json = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/models"));
        return json.RootElement.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("status").GetString()!);
    }

    private static async Task<string[]> LoadedAsync(TestServer server)
    {
        using var json = JsonDocument.Parse(await server.Http.GetStringAsync("/api/ps"));
        return json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();
    }

    [Fact]
    public async Task Lists_every_model_and_answers_each_request_with_the_model_it_names()
    {
        await using var server = await StartAsync(more: [Source(Llama), Source(Qwen)]);
        Assert.Equal(new Dictionary<string, string> { [TestServer.StoriesId] = "loaded", [Llama] = "available", [Qwen] = "available" }, await StatusesAsync(server));
        var models = (await server.Client.GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Equal([TestServer.StoriesId, Llama, Qwen], models.Select(m => m.Id));

        var llama = await CompleteAsync(server, Llama);
        Assert.Equal(Llama, llama.Model);
        Assert.Equal((TestServer.StoriesId, (await CompleteAsync(server, TestServer.StoriesId)).Text), await CompleteAsync(server, null));
        Assert.Equal(new Dictionary<string, string> { [TestServer.StoriesId] = "loaded", [Llama] = "loaded", [Qwen] = "available" }, await StatusesAsync(server));
        Assert.Equal([TestServer.StoriesId, Llama], await LoadedAsync(server));
        Assert.Equal(2, await server.MetricAsync("tessera_model_loads_total"));
        Assert.Equal(2, await server.MetricAsync("tessera_models_loaded"));

        // The text is the named model's own: the same as a server of that model alone gives.
        await using (var alone = await TestServer.StartAsync(Llama + ".gguf", parallel: 2, contextSize: 256))
            Assert.Equal(llama.Text, (await CompleteAsync(alone, null)).Text);

        // The tokenizer follows "model" too: the two vocabularies split the prompt differently.
        var ofStories = await server.PostJsonAsync("/tokenize", """{"content":"Once upon a time"}""");
        var ofLlama = await server.PostJsonAsync("/tokenize", $$"""{"content":"Once upon a time","model":"{{Llama}}"}""");
        Assert.NotEqual(ofStories.GetProperty("tokens").ToString(), ofLlama.GetProperty("tokens").ToString());
    }

    [Fact]
    public async Task An_unknown_model_is_404_and_one_that_cannot_load_is_503_while_the_others_serve()
    {
        using var broken = new TempFile(".gguf");
        File.WriteAllBytes(broken.Path, [1, 2, 3, 4]);
        await using var server = await StartAsync(more: [new ModelSource("broken", broken.Path)]);

        var unknown = await server.PostJsonAsync("/v1/completions", """{"model":"nope","prompt":"Once","max_tokens":2}""", 404);
        Assert.Equal("model_not_found", unknown.GetProperty("error").GetProperty("code").GetString());
        using (var missing = await server.Http.GetAsync("/v1/models/nope"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var failed = await server.PostJsonAsync("/v1/chat/completions", """{"model":"broken","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", 503);
        Assert.Equal("model_unavailable", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("failed", (await StatusesAsync(server))["broken"]);
        Assert.Equal(TestServer.StoriesId, (await CompleteAsync(server, null)).Model);
        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task With_room_for_one_model_the_other_is_unloaded_and_reloads_with_the_same_output()
    {
        await using var server = await StartAsync(maxLoaded: 1, more: [Source(Llama)]);
        var first = await CompleteAsync(server, null);
        Assert.Equal(Llama, (await CompleteAsync(server, Llama)).Model);
        Assert.Equal([Llama], await LoadedAsync(server));
        Assert.Equal(1, await server.MetricAsync("tessera_model_unloads_total"));

        Assert.Equal(first, await CompleteAsync(server, TestServer.StoriesId));
        Assert.Equal([TestServer.StoriesId], await LoadedAsync(server));
        Assert.Equal(2, await server.MetricAsync("tessera_model_unloads_total"));
        Assert.Equal(3, await server.MetricAsync("tessera_model_loads_total"));
    }

    [Fact]
    public async Task The_least_recently_used_model_is_the_one_unloaded()
    {
        await using var server = await StartAsync(maxLoaded: 2, more: [Source(Llama), Source(Qwen)]);
        await CompleteAsync(server, Llama);
        await CompleteAsync(server, TestServer.StoriesId); // stories is now the more recent of the two
        await CompleteAsync(server, Qwen);
        Assert.Equal([TestServer.StoriesId, Qwen], await LoadedAsync(server));
    }

    [Fact]
    public async Task A_memory_budget_smaller_than_two_models_keeps_one_loaded()
    {
        await using var server = await StartAsync(budget: 1, more: [Source(Llama)]);
        Assert.Equal(1, await server.MetricAsync("tessera_models_memory_budget_bytes"));
        // Alone over the budget, a model still loads; the budget decides what to unload.
        Assert.Equal([TestServer.StoriesId], await LoadedAsync(server));
        await CompleteAsync(server, Llama);
        Assert.Equal([Llama], await LoadedAsync(server));
        using var ps = JsonDocument.Parse(await server.Http.GetStringAsync("/api/ps"));
        Assert.Equal(1, ps.RootElement.GetProperty("memory_budget_bytes").GetInt64());
    }
}

using Tessera.Server.Api;
using Tessera.Server.Hosting;
using Tessera.Server.Metrics;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>The model pool on its own: leases, waiting for room, the memory budget, one load per model.</summary>
public sealed class ModelPoolTests
{
    private static readonly ModelSource Stories = new("stories260K", SharedData.Model("stories260K.gguf"));
    private static readonly ModelSource Llama = new("llama-2-tiny-random", SharedData.Model("llama-2-tiny-random.gguf"));
    private static readonly ModelSource Qwen = new("syn-qwen2-Q8_0", SharedData.Model("syn-qwen2-Q8_0.gguf"));

    private static ModelPool Pool(int maxLoaded = ServerOptions.DefaultMaxLoadedModels, long budget = 0, params ModelSource[] models) =>
        new(new ServerOptions
        {
            ModelPath = models[0].Path,
            ModelId = models[0].Id,
            AdditionalModels = models[1..],
            MaxLoadedModels = maxLoaded,
            MemoryBudgetBytes = budget,
            Parallel = 1,
            ContextSize = 128,
            Threads = 1,
        }, new ServerMetrics(), _ => { });

    private static Dictionary<string, string> States(ModelPool pool) => pool.Statuses().ToDictionary(s => s.Source.Id, s => s.State);

    [Fact]
    public async Task A_model_in_use_is_never_unloaded_the_next_request_waits_for_it()
    {
        using var pool = Pool(maxLoaded: 1, models: [Stories, Llama, Qwen]);
        var held = await pool.AcquireAsync(null, CancellationToken.None);
        var waiting = pool.AcquireAsync(Llama.Id, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Equal("loaded", States(pool)[Stories.Id]);
        Assert.Equal(1, pool.Statuses()[0].Leases);

        // A request that gives up while waiting leaves nothing behind.
        using (var cancel = new CancellationTokenSource(50))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.AcquireAsync(Qwen.Id, cancel.Token));

        held.Dispose();
        held.Dispose(); // twice is harmless
        using var next = await waiting.WaitAsync(TestServer.Timeout);
        Assert.Equal(Llama.Id, next.Model.Id);
        Assert.Equal(new Dictionary<string, string> { [Stories.Id] = "available", [Llama.Id] = "loaded", [Qwen.Id] = "available" }, States(pool));
        Assert.Equal(1, pool.Unloads);
    }

    [Fact]
    public async Task Concurrent_first_requests_load_a_model_once()
    {
        using var pool = Pool(models: [Stories, Llama]);
        var leases = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => pool.AcquireAsync(Llama.Id, CancellationToken.None))));
        Assert.Equal(1, pool.Loads);
        Assert.All(leases, lease => Assert.Same(leases[0].Model, lease.Model));
        Assert.Equal(6, pool.Statuses()[1].Leases);
        foreach (var lease in leases)
            lease.Dispose();
        Assert.Equal(0, pool.Statuses()[1].Leases);
        Assert.Equal("available", States(pool)[Stories.Id]); // the default waits for its first request here
    }

    [Fact]
    public async Task The_budget_unloads_only_as_many_idle_models_as_the_newcomer_needs_least_recently_used_first()
    {
        // What each model holds once loaded, measured with the same settings.
        long stories, llama;
        using (var probe = Pool(models: [Stories, Llama]))
        {
            using (var lease = await probe.AcquireAsync(Stories.Id, CancellationToken.None))
                stories = lease.Model.MemoryBytes;
            using (var lease = await probe.AcquireAsync(Llama.Id, CancellationToken.None))
                llama = lease.Model.MemoryBytes;
        }
        // Room for both and for Qwen's file next to either one, not next to both.
        long budget = stories + llama + Qwen.FileBytes() - 1;
        using var pool = Pool(budget: budget, models: [Stories, Llama, Qwen]);
        (await pool.AcquireAsync(Llama.Id, CancellationToken.None)).Dispose();
        (await pool.AcquireAsync(Stories.Id, CancellationToken.None)).Dispose();
        Assert.Equal(0, pool.Unloads);
        using var qwen = await pool.AcquireAsync(Qwen.Id, CancellationToken.None);
        Assert.Equal(new Dictionary<string, string> { [Stories.Id] = "loaded", [Llama.Id] = "available", [Qwen.Id] = "loaded" }, States(pool));
        Assert.Equal(1, pool.Unloads);
        Assert.True(pool.LoadedModels().Sum(m => m.FileBytes) <= budget);
    }

    [Fact]
    public async Task Unknown_ids_are_404_and_a_disposed_pool_refuses_new_requests()
    {
        var pool = Pool(models: [Stories]);
        var unknown = await Assert.ThrowsAsync<ApiException>(() => pool.AcquireAsync("nope", CancellationToken.None));
        Assert.Equal(404, unknown.Status);
        pool.Dispose();
        var stopped = await Assert.ThrowsAsync<ApiException>(() => pool.AcquireAsync(null, CancellationToken.None));
        Assert.Equal(503, stopped.Status);
    }
}

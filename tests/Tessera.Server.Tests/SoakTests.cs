using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>
/// Two minutes of mixed traffic (chat and text, streamed and whole, aborted streams, bad requests, overload) against
/// 4 slots; afterwards nothing may be left busy and memory must not have grown. Not part of the default run
/// (default.runsettings filters Category=Soak out); run it with
/// <c>dotnet test tests/Tessera.Server.Tests -c Release -p:Soak=true --filter Category=Soak</c>.
/// </summary>
public sealed class SoakTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromMinutes(2);

    /// <summary>Managed heap growth tolerated over the run: caches warm up, but a leak of per-request state grows without bound.</summary>
    private const long AllowedGrowthBytes = 64 << 20;

    [Fact]
    [Trait("Category", "Soak")]
    public async Task Two_minutes_of_mixed_traffic_leave_no_busy_slot_and_no_leak()
    {
        await using var server = await TestServer.StartAsync(parallel: 4, maxQueue: 4, contextSize: 512);
        await server.PostJsonAsync("/v1/completions", """{"prompt":"warm up","max_tokens":8}""");
        long heapBefore = Heap();
        var clock = Stopwatch.StartNew();
        int requests = 0;
        var failures = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            var random = new Random(worker);
            while (clock.Elapsed < Duration)
            {
                string? failure = await OneRequestAsync(server, random);
                Interlocked.Increment(ref requests);
                if (failure is not null)
                    lock (failures)
                        failures.Add(failure);
            }
        }));
        Assert.Empty(failures);
        await server.WaitForMetricAsync("tessera_slots_busy", 0);
        await server.WaitForMetricAsync("tessera_queue_length", 0);
        Assert.Equal(0, await server.MetricAsync("tessera_kv_cells_used"));
        long growth = Heap() - heapBefore;
        Assert.True(growth < AllowedGrowthBytes, $"the managed heap grew by {growth >> 20} MiB over {requests} requests");
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>One random request; returns a description when the answer is wrong.</summary>
    private static async Task<string?> OneRequestAsync(TestServer server, Random random)
    {
        int kind = random.Next(5);
        bool chat = random.Next(2) == 0;
        string path = chat ? "/v1/chat/completions" : "/v1/completions";
        var body = new Dictionary<string, object>
        {
            ["max_tokens"] = random.Next(1, 96),
            ["temperature"] = random.NextDouble(),
            ["seed"] = random.Next(),
            ["stream"] = kind is 1 or 2,
        };
        if (chat)
            body["messages"] = new[] { new { role = "user", content = $"Story number {random.Next(100)}" } };
        else
            body["prompt"] = $"Once upon a time {random.Next(100)}";
        if (kind == 3)
            body["temperature"] = 7; // a client mistake
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        int status = (int)response.StatusCode;
        if (status == 503)
            return response.Headers.RetryAfter is null ? "503 without Retry-After" : null;
        if (kind == 3)
            return status == 400 ? null : $"a bad request got {status}";
        if (status != 200)
            return $"{path} got {status}: {await response.Content.ReadAsStringAsync()}";
        if (kind == 2)
        {
            // Read a chunk or two, then go away.
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await reader.ReadLineAsync();
            return null;
        }
        string text = await response.Content.ReadAsStringAsync();
        if (kind == 1 && !text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal))
            return "a stream without [DONE]";
        return null;
    }
}

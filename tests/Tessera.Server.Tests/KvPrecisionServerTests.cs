using System.Text.Json;
using Tessera.Tensors;

namespace Tessera.Server.Tests;

/// <summary>`memory.kv_cache_type: q8_0` (`--cache-type q8_0`): the server keeps keys and values as Q8_0 blocks,
/// in 34 bytes per 32 values where F16 takes 64, and still answers.</summary>
public sealed class KvPrecisionServerTests
{
    private const string Model = "syn-llama-F16.gguf";   // heads 32 wide: one Q8_0 block each

    private static async Task<(long KvBytes, JsonElement Completion)> ServeAsync(GgmlType kvType)
    {
        await using var server = await TestServer.StartAsync(model: Model, parallel: 2, contextSize: 256, configure: o => o with { KvCacheType = kvType });
        using var ps = JsonDocument.Parse(await server.Http.GetStringAsync("/api/ps"));
        long kvBytes = ps.RootElement.GetProperty("models")[0].GetProperty("kv_cache_bytes").GetInt64();
        var completion = await server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 12, temperature = 0 }));
        return (kvBytes, completion.Clone());
    }

    [Fact]
    public async Task A_Q8_0_cache_takes_34_of_64_bytes_and_generates()
    {
        var (halfBytes, _) = await ServeAsync(GgmlType.F16);
        var (q8Bytes, completion) = await ServeAsync(GgmlType.Q8_0);
        Assert.Equal(halfBytes * 34 / 64, q8Bytes);
        Assert.Equal(12, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.False(string.IsNullOrEmpty(completion.GetProperty("choices")[0].GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_model_with_narrow_heads_is_refused_with_the_reason()
    {
        // stories260K's heads are 8 wide: not a whole Q8_0 block.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(configure: o => o with { KvCacheType = GgmlType.Q8_0 }));
        Assert.Contains("multiple of 32", error.ToString());
    }
}

using System.Text.Json;
using Tessera.Models.Experts;

namespace Tessera.Server.Tests;

/// <summary>
/// Batched server steps on MoE models: with four requests decoding together, the grouped expert pass (`auto`) and
/// one expert at a time (`off`) write the same greedy answers.
/// </summary>
public sealed class MoeScheduleServerTests
{
    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Lily had a red ball", "One day, a cat"];

    private static async Task<string[]> CompleteAllAsync(TestServer server) => await Task.WhenAll(Prompts.Select(async prompt =>
        (await server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { prompt, max_tokens = 16, temperature = 0 })))
            .GetProperty("choices")[0].GetProperty("text").GetString()!));

    [Theory]
    [InlineData("syn-mixtral-Q4_0.gguf")]
    [InlineData("syn-qwen3moe-Q4_K_M.gguf")]
    public async Task Batched_steps_give_the_same_answers_with_either_schedule(string model)
    {
        string[] expected;
        await using (var off = await TestServer.StartAsync(model: model, parallel: 4, contextSize: 128, configure: o => o with { MoeSchedule = MoeSchedule.Off, Threads = 2 }))
            expected = await CompleteAllAsync(off);
        await using var auto = await TestServer.StartAsync(model: model, parallel: 4, contextSize: 128, configure: o => o with { MoeSchedule = MoeSchedule.Auto, Threads = 2 });
        Assert.Equal(expected, await CompleteAllAsync(auto));
        Assert.True(await auto.MetricAsync("tessera_steps_total") < Prompts.Length * 17, "the requests were not batched together");
    }
}

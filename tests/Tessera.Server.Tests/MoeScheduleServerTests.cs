using System.Text.Json;
using Tessera.Models.Experts;

namespace Tessera.Server.Tests;

/// <summary>
/// Batched server steps on MoE models: with four prompts decoding together, the grouped expert pass (`auto`) and
/// one expert at a time (`off`) write the same greedy answers.
/// </summary>
/// <remarks>
/// The four prompts go in one request so the scheduler admits them together: separate requests would join the batch
/// at steps that depend on timing, and a different batch makes different kernel choices (one token or a panel of
/// them), whose rounding can flip a greedy pick on a random-weight model whichever schedule runs.
/// </remarks>
public sealed class MoeScheduleServerTests
{
    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Lily had a red ball", "One day, a cat"];

    private static async Task<string[]> CompleteAllAsync(TestServer server)
    {
        var response = await server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { prompt = Prompts, max_tokens = 16, temperature = 0 }));
        return response.GetProperty("choices").EnumerateArray()
            .OrderBy(choice => choice.GetProperty("index").GetInt32())
            .Select(choice => choice.GetProperty("text").GetString()!)
            .ToArray();
    }

    [Theory]
    [InlineData("syn-mixtral-Q4_0.gguf")]
    [InlineData("syn-qwen3moe-Q4_K_M.gguf")]
    public async Task Batched_steps_give_the_same_answers_with_either_schedule(string model)
    {
        string[] expected;
        await using (var off = await TestServer.StartAsync(model: model, parallel: 4, contextSize: 128, configure: o => o with { MoeSchedule = MoeSchedule.Off, Threads = 2 }))
            expected = await CompleteAllAsync(off);
        Assert.Equal(Prompts.Length, expected.Length);
        await using var auto = await TestServer.StartAsync(model: model, parallel: 4, contextSize: 128, configure: o => o with { MoeSchedule = MoeSchedule.Auto, Threads = 2 });
        Assert.Equal(expected, await CompleteAllAsync(auto));
        Assert.True(await auto.MetricAsync("tessera_steps_total") < Prompts.Length * 17, "the requests were not batched together");
    }
}

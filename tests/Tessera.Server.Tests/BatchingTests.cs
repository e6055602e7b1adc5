using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>Continuous batching: requests sharing steps get exactly what they get alone.</summary>
public sealed class BatchingTests(StoriesServerFixture fixture) : IClassFixture<StoriesServerFixture>
{
    private const int MaxTokens = 40;

    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "The little dog",
        "Tom and Sue went to the park. They saw a big tree and",
        "Lily had a red ball",
        "One day, a cat",
        "There was a boy named Tim. He liked to play with his toy car every day, and",
        "The sun was hot",
        "Mom said",
    ];

    private TestServer Server => fixture.Server;

    private Task<JsonElement> CompleteAsync(string prompt, bool chat) => chat
        ? Server.PostJsonAsync("/v1/chat/completions", JsonSerializer.Serialize(new
        {
            model = TestServer.StoriesId,
            messages = new[] { new { role = "user", content = prompt } },
            max_tokens = MaxTokens,
            temperature = 0,
        }))
        : Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { model = TestServer.StoriesId, prompt, max_tokens = MaxTokens, temperature = 0 }));

    private static string Text(JsonElement response) => response.GetProperty("choices")[0] is var choice && choice.TryGetProperty("text", out var text)
        ? text.GetString()!
        : choice.GetProperty("message").GetProperty("content").GetString()!;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Eight_concurrent_requests_on_four_slots_match_their_answers_alone(bool chat)
    {
        var alone = new List<string>();
        foreach (string prompt in Prompts)
            alone.Add(Text(await CompleteAsync(prompt, chat)));

        double stepsBefore = await Server.MetricAsync("tessera_steps_total");
        var together = await Task.WhenAll(Prompts.Select(prompt => CompleteAsync(prompt, chat)));
        double steps = await Server.MetricAsync("tessera_steps_total") - stepsBefore;

        for (int i = 0; i < Prompts.Length; i++)
            Assert.Equal(alone[i], Text(together[i]));
        int generated = together.Sum(response => response.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        // Alone, every generated token costs a step; sharing steps is what continuous batching is for.
        Assert.True(steps < generated, $"{steps} steps for {generated} generated tokens: requests did not share steps");
    }
}

using Tessera.Models;
using Tessera.Runtime.Paging;
using Tessera.Testing;

namespace Tessera.Runtime.Tests;

/// <summary>A model's warm-up steps leave no trace: no pages, no prefix cache entries, no expert statistics, and the
/// first real request computes exactly what it computes on a context that was never warmed up.</summary>
public sealed class WarmUpTests
{
    [Theory]
    [InlineData("stories260K.gguf")]
    [InlineData("syn-qwen3moe-Q8_0.gguf")]
    public void Warm_up_leaves_the_context_as_it_was(string file)
    {
        using var model = ModelLoader.Load(SharedData.Model(file));
        ContextOptions Options() => new() { ContextSize = 128, BatchSize = 32, SequenceCount = 2, Threads = 2, Paging = new KvPaging { PageSize = 8, PrefixCache = true } };
        using var warmed = new InferenceContext(model, Options());
        using var cold = new InferenceContext(model, Options());

        int steps = warmed.WarmUp(TimeSpan.FromSeconds(5), maxSteps: 20);
        Assert.Equal(20, steps);
        Assert.Equal(0, warmed.Cache.PagesUsed);
        Assert.Equal(0, warmed.Cache.PrefixCachedPages);
        if (warmed.ExpertStatistics is { } statistics)
            Assert.Equal(0, statistics.Tokens(0));

        int[] prompt = Enumerable.Range(3, 20).ToArray();
        using var first = warmed.CreateSession();
        using var reference = cold.CreateSession();
        Assert.Equal(0, first.SequenceId);
        first.Append(prompt);
        reference.Append(prompt);
        Assert.Equal(reference.Logits.ToArray(), first.Logits.ToArray());
        Assert.Equal(prompt.Length / 8, warmed.Cache.PrefixCachedPages);
    }

    [Fact]
    public void A_time_budget_stops_it_after_the_first_step()
    {
        using var model = ModelLoader.Load(SharedData.Model("stories260K.gguf"));
        using var context = new InferenceContext(model, new ContextOptions { ContextSize = 64, Threads = 1 });
        Assert.Equal(1, context.WarmUp(TimeSpan.Zero));
        Assert.Equal(0, context.Cache.PagesUsed);
    }
}

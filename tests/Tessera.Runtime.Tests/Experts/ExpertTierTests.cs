using Tessera.Models;
using Tessera.Runtime.Experts;
using Tessera.Testing;

namespace Tessera.Runtime.Tests.Experts;

/// <summary>
/// The expert memory tier: its plan keeps within the memory limit and refuses what cannot work; a tiered run whose
/// limit holds fewer experts than the model has writes exactly the text of an untiered run and accounts for every
/// choice; its statistics file seeds the next start and is set aside when it belongs to another model.
/// </summary>
public sealed class ExpertTierTests
{
    public static TheoryData<string> MoeModels => new("syn-qwen3moe-Q8_0.gguf", "syn-qwen3moe-Q4_K_M.gguf", "syn-mixtral-Q4_0.gguf");

    private static readonly int[] Prompt = [1, 15, 200, 37, 411, 98, 7, 300, 52, 9, 140, 77];

    [Fact]
    public void The_plan_keeps_within_its_limit_and_uses_what_fits()
    {
        long dense = 1000;
        long[] perExpert = [100, 100, 150];     // three layers: a hot slot costs 350 bytes
        for (long limit = dense + 2 * 150; limit < dense + 9 * 350; limit += 37)
        {
            var plan = ExpertTierPlan.Make(dense, perExpert, expertCount: 8, usedPerToken: 2, limit, hotExperts: null, machineMemory: long.MaxValue);
            Assert.True(plan.ResidentBytes <= limit, $"limit {limit}: {plan.ResidentBytes} resident");
            Assert.True(plan.HotPerLayer == 8 || plan.ResidentBytes + 350 > limit, $"limit {limit}: one more hot expert per layer would fit");
            Assert.Equal(plan.HotPerLayer < 8, plan.Active);
        }
        // An explicit count that does not fit is cut down, with a warning.
        var cut = ExpertTierPlan.Make(dense, perExpert, 8, 2, dense + 3 * 350, hotExperts: 6, long.MaxValue);
        Assert.Equal(3, cut.HotPerLayer);
        Assert.Contains("does not fit", Assert.Single(cut.Warnings));
        // Without a limit, the machine's memory is the limit.
        Assert.False(ExpertTierPlan.Make(dense, perExpert, 8, 2, null, null, machineMemory: 1L << 40).Active);
        Assert.Equal(2, ExpertTierPlan.Make(dense, perExpert, 8, 2, null, hotExperts: 2, machineMemory: 1L << 40).HotPerLayer);
    }

    [Theory]
    [InlineData(1200L, null, "too small")]           // dense 1000 + one layer's 2 active experts of 150 = 1300
    [InlineData(null, 9, "more than the model's 8 experts")]
    [InlineData(null, -1, "must not be negative")]
    [InlineData(0L, null, "must be positive")]
    public void Impossible_tiers_are_clear_errors(long? limit, int? hot, string message)
    {
        var error = Assert.Throws<ExpertTierException>(() => ExpertTierPlan.Make(1000, [100, 100, 150], 8, 2, limit, hot, machineMemory: 1L << 40));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [MemberData(nameof(MoeModels))]
    public void A_tier_smaller_than_the_experts_writes_the_same_text(string modelFile)
    {
        using var folder = new TempFolder();
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        var hp = model.Hyperparameters;
        var expected = Greedy(model, tier: null, steps: 16);

        var options = TierWithHalfTheExperts(model, Path.Combine(folder.Path, "stats.json"));
        using var context = Context(model, options);
        var tier = context.ExpertTier!;
        Assert.NotNull(tier);
        Assert.InRange(tier.Plan.HotPerLayer, 1, hp.ExpertCount - 1);
        Assert.True(tier.Plan.ResidentBytes <= options.MemoryLimit, $"{tier.Plan.ResidentBytes} resident over a limit of {options.MemoryLimit}");
        for (int layer = 0; layer < hp.LayerCount; layer++)
            Assert.Equal(tier.Plan.HotPerLayer, Enumerable.Range(0, hp.ExpertCount).Count(e => tier.IsHot(layer, e)));

        var actual = Greedy(context, steps: 16);
        Assert.Equal(expected, actual);
        // Every choice of every token in every layer is a hit, a read-ahead hit or a miss.
        long choices = (long)(Prompt.Length + 16) * hp.ExpertUsedCount * hp.LayerCount;
        Assert.Equal(choices, tier.Hits + tier.PrefetchHits + tier.Misses);
        Assert.True(tier.Hits > 0 && tier.Misses + tier.PrefetchHits > 0, $"{modelFile}: hits {tier.Hits}, read-ahead hits {tier.PrefetchHits}, misses {tier.Misses}");
        Assert.True(tier.Prefetches >= tier.PrefetchHits);
    }

    [Fact]
    public void A_tier_over_weights_read_into_memory_never_drops_them()
    {
        // With --no-mmap the weights are private memory: dropping a cold expert's pages would zero it, not re-read it.
        using var folder = new TempFolder();
        using var mapped = ModelLoader.Load(SharedData.Model("syn-qwen3moe-Q8_0.gguf"));
        var expected = Greedy(mapped, tier: null, steps: 16);
        using var copied = ModelLoader.Load(SharedData.Model("syn-qwen3moe-Q8_0.gguf"), Gguf.GgufLoadMode.Copy);
        using var context = Context(copied, TierWithHalfTheExperts(copied, Path.Combine(folder.Path, "stats.json")));
        Assert.Contains("--no-mmap", Assert.Single(context.ExpertTier!.Warnings));
        // Two passes, so the second reads experts the first one's drops would have hit.
        Assert.Equal(expected, Greedy(context, steps: 16));
        Assert.Equal(expected, Greedy(context, steps: 16));
    }

    [Fact]
    public void Statistics_seed_the_next_start_and_a_foreign_file_is_set_aside()
    {
        using var folder = new TempFolder();
        string stats = Path.Combine(folder.Path, "stats.json");
        using var model = ModelLoader.Load(SharedData.Model("syn-qwen3moe-Q8_0.gguf"));
        var hp = model.Hyperparameters;
        var options = TierWithHalfTheExperts(model, stats);
        long[] counts;
        using (var first = Context(model, options))
        {
            Assert.Contains("no statistics yet", first.ExpertTier!.PlacementSource);
            Greedy(first, steps: 8);
            counts = Enumerable.Range(0, hp.LayerCount * hp.ExpertCount).Select(i => first.ExpertStatistics!.Selections(i / hp.ExpertCount, i % hp.ExpertCount)).ToArray();
        }
        Assert.True(File.Exists(stats), "the statistics were not saved when the context closed");

        using (var second = Context(model, options))
        {
            var tier = second.ExpertTier!;
            Assert.Contains(stats, tier.PlacementSource);
            Assert.Empty(tier.Warnings);
            // The hot set of each layer is the most chosen experts of the first run (ties to the lower id).
            for (int layer = 0; layer < hp.LayerCount; layer++)
            {
                var row = counts.Skip(layer * hp.ExpertCount).Take(hp.ExpertCount).ToArray();
                var expectedHot = Enumerable.Range(0, hp.ExpertCount).OrderByDescending(e => row[e]).ThenBy(e => e).Take(tier.Plan.HotPerLayer).Order();
                Assert.Equal(expectedHot, Enumerable.Range(0, hp.ExpertCount).Where(e => tier.IsHot(layer, e)));
            }
        }

        // The same file offered to another model (other shape) is set aside with a warning.
        using var other = ModelLoader.Load(SharedData.Model("syn-mixtral-Q4_0.gguf"));
        using (var foreign = Context(other, TierWithHalfTheExperts(other, stats)))
        {
            Assert.Contains("not to this model", Assert.Single(foreign.ExpertTier!.Warnings));
            Assert.Contains("no statistics yet", foreign.ExpertTier.PlacementSource);
        }

        File.WriteAllText(stats, "{ not json");
        using var broken = Context(model, options);
        Assert.Contains("cannot be read", Assert.Single(broken.ExpertTier!.Warnings));
    }

    /// <summary>A limit holding the dense weights and about half of every layer's experts.</summary>
    private static ExpertTierOptions TierWithHalfTheExperts(TransformerModel model, string statsFile)
    {
        var hp = model.Hyperparameters;
        long experts = 0;
        foreach (var layer in model.Layers)
            experts += layer.ExpertGate!.Value.Rows * layer.ExpertGate.Value.RowBytes + layer.ExpertUp!.Value.Rows * layer.ExpertUp.Value.RowBytes
                + layer.ExpertDown!.Value.Rows * layer.ExpertDown.Value.RowBytes;
        long dense = model.File.FileSize - experts;
        return new ExpertTierOptions { MemoryLimit = dense + experts / 2, SeedFile = statsFile };
    }

    private static InferenceContext Context(TransformerModel model, ExpertTierOptions? tier) =>
        new(model, new ContextOptions { ContextSize = 64, BatchSize = 16, Threads = 2, KvCacheType = Tensors.GgmlType.F32, ExpertTier = tier });

    private static List<int> Greedy(TransformerModel model, ExpertTierOptions? tier, int steps)
    {
        using var context = Context(model, tier);
        return Greedy(context, steps);
    }

    private static List<int> Greedy(InferenceContext context, int steps) => GreedyDecoding.Run(context, Prompt, steps).Tokens;
}

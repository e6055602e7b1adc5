using Tessera.Runtime.Sampling;

namespace Tessera.Runtime.Tests;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.5f, -1.0f, 0.5f, 2.9f];

    [Fact]
    public void Greedy_picks_the_largest_logit_with_ties_to_the_lowest_id()
    {
        var sampler = new Sampler(SamplerOptions.Greedy, Logits.Length);
        Assert.Equal(1, sampler.Sample(Logits, []));
        Assert.Equal(2, new Sampler(SamplerOptions.Greedy, 4).Sample([0f, 1f, 5f, 5f], []));
    }

    [Fact]
    public void Same_seed_gives_the_same_sequence_and_another_seed_differs()
    {
        var options = new SamplerOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        int[] Draw(SamplerOptions o)
        {
            var sampler = new Sampler(o, Logits.Length);
            return Enumerable.Range(0, 50).Select(_ => sampler.Sample(Logits, [])).ToArray();
        }
        Assert.Equal(Draw(options), Draw(options));
        Assert.NotEqual(Draw(options), Draw(options with { Seed = 7 }));
    }

    [Fact]
    public void Top_k_keeps_only_the_k_most_likely()
    {
        var sampler = new Sampler(new SamplerOptions { Temperature = 5, TopK = 2, TopP = 1, MinP = 0, Seed = 1 }, Logits.Length);
        var seen = Enumerable.Range(0, 300).Select(_ => sampler.Sample(Logits, [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 5 }, seen);
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // Probabilities 0.5, 0.3, 0.2: p = 0.7 needs the first two.
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f)];
        var sampler = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 0.7f, MinP = 0, Seed = 3 }, 3);
        var seen = Enumerable.Range(0, 300).Select(_ => sampler.Sample(logits, [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void Min_p_drops_tokens_below_the_fraction_of_the_top_probability()
    {
        // Probabilities relative to the top: 1, 0.6, 0.3: min-p 0.5 keeps two.
        float[] logits = [0, MathF.Log(0.6f), MathF.Log(0.3f)];
        var sampler = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.5f, Seed = 3 }, 3);
        var seen = Enumerable.Range(0, 300).Select(_ => sampler.Sample(logits, [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void Temperature_near_zero_concentrates_on_the_top_token()
    {
        var sampler = new Sampler(new SamplerOptions { Temperature = 0.01f, TopK = 0, TopP = 1, MinP = 0, Seed = 9 }, Logits.Length);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(1, sampler.Sample(Logits, [])));
    }

    [Fact]
    public void Repetition_penalty_applies_only_within_the_window()
    {
        // Token 1 (logit 3.0) divided by 2 falls below token 5 (2.9).
        var penalised = new Sampler(SamplerOptions.Greedy with { RepeatPenalty = 2f, PenaltyWindow = 2 }, Logits.Length);
        Assert.Equal(5, penalised.Sample(Logits, [0, 1]));
        Assert.Equal(1, penalised.Sample(Logits, [1, 0, 0]));
    }

    [Fact]
    public void Frequency_and_presence_penalties_subtract_per_occurrence_and_once()
    {
        var frequency = new Sampler(SamplerOptions.Greedy with { FrequencyPenalty = 0.06f }, Logits.Length);
        Assert.Equal(1, frequency.Sample(Logits, [1]));      // 3.0 - 0.06 > 2.9
        Assert.Equal(5, frequency.Sample(Logits, [1, 1]));   // 3.0 - 0.12 < 2.9
        var presence = new Sampler(SamplerOptions.Greedy with { PresencePenalty = 0.2f }, Logits.Length);
        Assert.Equal(5, presence.Sample(Logits, [1]));
    }

    [Fact]
    public void Logit_bias_is_added_before_choosing()
    {
        var sampler = new Sampler(SamplerOptions.Greedy with { LogitBias = new Dictionary<int, float> { [3] = 10f } }, Logits.Length);
        Assert.Equal(3, sampler.Sample(Logits, []));
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplerOptions { TopP = 0 }, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplerOptions { MinP = 2 }, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplerOptions { LogitBias = new Dictionary<int, float> { [4] = 1 } }, 4));
        Assert.Throws<ArgumentException>(() => new Sampler(SamplerOptions.Greedy, 4).Sample(new float[5], []));
    }
}

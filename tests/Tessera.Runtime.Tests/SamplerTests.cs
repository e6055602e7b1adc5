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
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplerOptions { TopP = float.NaN }, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplerOptions { Temperature = float.NaN }, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplerOptions { LogitBias = new Dictionary<int, float> { [4] = 1 } }, 4));
        Assert.Throws<ArgumentException>(() => new Sampler(SamplerOptions.Greedy, 4).Sample(new float[5], []));
    }

    [Fact]
    public void Draws_follow_the_softmax_distribution()
    {
        // 60,000 draws over six ids at temperature 1.3: Pearson's chi-square against the softmax, 5 degrees of
        // freedom, must stay below 20.5 (p = 0.001 for a correct sampler).
        var options = new SamplerOptions { Temperature = 1.3f, TopK = 0, TopP = 1, MinP = 0, Seed = 5 };
        double[] expected = Softmax(Logits, options.Temperature);
        Assert.True(ChiSquare(new Sampler(options, Logits.Length), Logits, expected, 60_000) < 20.5);
    }

    [Fact]
    public void Draws_follow_the_distribution_left_by_top_p_and_min_p()
    {
        // Top-p 0.9 keeps ids 1, 5, 2 (0.36 + 0.33 + 0.22 of the temperature-1 mass); min-p 0.01 drops none of them.
        var options = new SamplerOptions { Temperature = 0.9f, TopK = 0, TopP = 0.9f, MinP = 0.01f, Seed = 8 };
        var sampler = new Sampler(options, Logits.Length);
        var distribution = new float[Logits.Length];
        sampler.Distribution(Logits, [], distribution);
        double[] survivors = Softmax([Logits[1], Logits[2], Logits[5]], options.Temperature);
        Assert.Equal([0, survivors[0], survivors[1], 0, 0, survivors[2]], distribution.Select(p => (double)p), new ToleranceComparer(1e-6));
        Assert.True(ChiSquare(sampler, Logits, distribution.Select(p => (double)p).ToArray(), 60_000) < 13.8);   // 3 ids: 2 degrees of freedom, p = 0.001
    }

    [Fact]
    public void Draws_over_a_large_vocabulary_follow_the_softmax_distribution()
    {
        // 1,000 ids (several blocks of the draw's block walk) on a ramp of logits, in 8 groups of 125 whose masses grow
        // by e^0.375 each: chi-square, 7 degrees of freedom, p = 0.001.
        float[] logits = Enumerable.Range(0, 1000).Select(id => id * 0.003f).ToArray();
        double[] softmax = Softmax(logits, 1);
        double[] groups = Enumerable.Range(0, 8).Select(g => softmax.Skip(g * 125).Take(125).Sum()).ToArray();
        var sampler = new Sampler(new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 6 }, logits.Length);
        var counts = new int[8];
        const int Draws = 40_000;
        for (int i = 0; i < Draws; i++)
            counts[sampler.Sample(logits, []) / 125]++;
        double chiSquare = groups.Select((p, g) => Math.Pow(counts[g] - p * Draws, 2) / (p * Draws)).Sum();
        Assert.True(chiSquare < 24.3, $"chi-square {chiSquare}");
    }

    [Fact]
    public void NaN_logits_are_never_chosen()
    {
        float[] logits = [float.NaN, 1f, float.NaN, 2f, 0.5f];
        Assert.Equal(3, Sampler.ArgMax(logits));
        Assert.Equal(3, new Sampler(SamplerOptions.Greedy, logits.Length).Sample(logits, []));
        var sampler = new Sampler(new SamplerOptions { Temperature = 2, TopK = 0, TopP = 0.99f, MinP = 0, Seed = 2 }, logits.Length);
        var seen = Enumerable.Range(0, 300).Select(_ => sampler.Sample(logits, [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3, 4 }, seen);
    }

    [Fact]
    public void A_largest_logit_that_is_not_finite_gives_the_argmax()
    {
        var options = new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 2 };
        Assert.Equal(0, new Sampler(options, 3).Sample([float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], []));
        Assert.Equal(1, new Sampler(options, 3).Sample([1f, float.PositiveInfinity, float.PositiveInfinity], []));
    }

    [Fact]
    public void Sampling_allocates_nothing_per_token()
    {
        var random = new Random(3);
        float[] logits = Enumerable.Range(0, 32_000).Select(_ => (float)random.NextDouble() * 10).ToArray();
        int[] history = Enumerable.Range(0, 100).Select(i => i * 7).ToArray();
        var bias = new Dictionary<int, float> { [5] = 2f, [9] = -1f };
        SamplerOptions[] settings =
        [
            SamplerOptions.Greedy,
            new() { Temperature = 0.8f, TopK = 0, TopP = 1, MinP = 0 },
            new() { Temperature = 0.8f, TopK = 40, TopP = 0.95f, MinP = 0.05f, LogitBias = bias, RepeatPenalty = 1.1f, FrequencyPenalty = 0.2f },
            new() { Temperature = 0.8f, TopK = 0, TopP = 0.95f, MinP = 0 },
            new() { Temperature = 0.8f, TopK = 0, TopP = 1, MinP = 0.05f },
        ];
        foreach (var options in settings)
        {
            var sampler = new Sampler(options with { Seed = 1 }, logits.Length);
            sampler.Sample(logits, history);   // the first call may size the penalty counts
            // The runtime may allocate once while it recompiles a hot method, so one of three windows must show
            // nothing; an allocation per call would show in all of them.
            long fewest = long.MaxValue;
            for (int window = 0; window < 3; window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 20; i++)
                    sampler.Sample(logits, history);
                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.Equal(0, fewest);
        }
    }

    private static double[] Softmax(float[] logits, float temperature)
    {
        double max = logits.Max();
        double[] weights = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double total = weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    /// <summary>Pearson's chi-square of <paramref name="draws"/> samples against <paramref name="expected"/> (ids with probability 0 must never come up).</summary>
    private static double ChiSquare(Sampler sampler, float[] logits, double[] expected, int draws)
    {
        var counts = new int[logits.Length];
        for (int i = 0; i < draws; i++)
            counts[sampler.Sample(logits, [])]++;
        double chiSquare = 0;
        for (int id = 0; id < logits.Length; id++)
        {
            if (expected[id] == 0)
                Assert.Equal(0, counts[id]);
            else
                chiSquare += Math.Pow(counts[id] - expected[id] * draws, 2) / (expected[id] * draws);
        }
        return chiSquare;
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}

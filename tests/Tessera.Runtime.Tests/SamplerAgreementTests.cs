using Tessera.Runtime.Sampling;

namespace Tessera.Runtime.Tests;

/// <summary>
/// The sampler's fast paths (no sorting of the vocabulary) against <see cref="ReferenceSampler"/> on random logits
/// over a LLaMA-sized vocabulary: the same ids survive top-k/top-p/min-p and get the same probabilities.
/// </summary>
public sealed class SamplerAgreementTests
{
    private const int VocabularySize = 32_000;

    /// <summary>Top-p and min-p cuts within this of their setting may fall either way by rounding (float sums in
    /// another order than the reference's double ones).</summary>
    private const float CutTolerance = 1e-5f;

    public static TheoryData<string, float, int, float, float> Settings() => new()
    {
        // name, temperature, top-k, top-p, min-p
        { "temperature only", 0.8f, 0, 1, 0 },
        { "top-k 40", 0.8f, 40, 1, 0 },
        { "top-k 1", 1.5f, 1, 1, 0 },
        { "top-k 5000", 1f, 5000, 1, 0 },
        { "top-p 0.95", 0.8f, 0, 0.95f, 0 },
        { "top-p 0.5", 1.3f, 0, 0.5f, 0 },
        { "top-p 0.999", 1f, 0, 0.999f, 0 },
        { "top-p 1e-4", 1f, 0, 1e-4f, 0 },
        { "min-p 0.05", 0.8f, 0, 1, 0.05f },
        { "min-p 1", 0.8f, 0, 1, 1 },
        { "top-k 100 + top-p 0.9", 1.2f, 100, 0.9f, 0 },
        { "top-p 0.9 + min-p 0.01", 0.7f, 0, 0.9f, 0.01f },
        { "defaults", 0.8f, 40, 0.95f, 0.05f },
    };

    /// <summary>Logit shapes: narrow (top-p keeps most of the vocabulary), wide (few survive), and coarse steps (many ties).</summary>
    public static readonly string[] Shapes = ["narrow", "wide", "ties"];

    [Theory]
    [MemberData(nameof(Settings))]
    public void Fast_paths_keep_the_same_ids_with_the_same_probabilities_as_the_reference(string name, float temperature, int topK, float topP, float minP)
    {
        var options = new SamplerOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, Seed = 1 };
        var sampler = new Sampler(options, VocabularySize);
        var fast = new float[VocabularySize];
        foreach (string shape in Shapes)
        {
            for (int seed = 1; seed <= 3; seed++)
            {
                float[] logits = RandomLogits(shape, seed);
                sampler.Distribution(logits, [], fast);
                AssertAgrees(new ReferenceSampler(logits), options, fast, $"{name}, {shape} logits, seed {seed}");
            }
        }
    }

    [Fact]
    public void Odd_vocabulary_sizes_and_large_logits_agree_with_the_reference()
    {
        // Sizes that leave a partial block for the vector passes, and logits around 1e5 where a float step is 1/128.
        foreach (var (size, offset) in new[] { (1001, 0f), (4099, 1e5f), (7, -3e4f) })
        {
            float[] logits = RandomLogits("wide", seed: size).Take(size).Select(logit => logit + offset).ToArray();
            var fast = new float[size];
            foreach (var row in Settings())
            {
                var options = new SamplerOptions { Temperature = (float)row[1], TopK = (int)row[2], TopP = (float)row[3], MinP = (float)row[4] };
                new Sampler(options, size).Distribution(logits, [], fast);
                AssertAgrees(new ReferenceSampler(logits), options, fast, $"{row[0]}, {size} ids around {offset}");
            }
        }
    }

    [Fact]
    public void Top_k_is_right_for_ascending_descending_and_equal_logits()
    {
        float[] ascending = Enumerable.Range(0, VocabularySize).Select(i => i * 1e-3f).ToArray();
        float[] descending = ascending.Reverse().ToArray();
        float[] equal = new float[VocabularySize];
        var options = new SamplerOptions { Temperature = 1, TopK = 40, TopP = 1, MinP = 0 };
        var fast = new float[VocabularySize];
        foreach (var (logits, what) in new[] { (ascending, "ascending"), (descending, "descending"), (equal, "equal") })
        {
            new Sampler(options, VocabularySize).Distribution(logits, [], fast);
            AssertAgrees(new ReferenceSampler(logits), options, fast, what);
        }
    }

    [Fact]
    public void Top_p_over_equal_logits_keeps_the_lowest_ids()
    {
        var options = new SamplerOptions { Temperature = 1, TopK = 0, TopP = 0.25f, MinP = 0 };
        var fast = new float[VocabularySize];
        new Sampler(options, VocabularySize).Distribution(new float[VocabularySize], [], fast);
        int kept = fast.Count(p => p > 0);
        Assert.InRange(kept, VocabularySize / 4, VocabularySize / 4 + 1);
        Assert.All(fast.Take(kept), p => Assert.Equal(1f / kept, p, 1e-9f));
    }

    private static void AssertAgrees(ReferenceSampler reference, SamplerOptions options, float[] fast, string what)
    {
        // Survivors: a prefix of the reference ranking, as long as the reference's, or as long as a cut nudged by the tolerance.
        int survivors = fast.Count(p => p > 0);
        int exact = reference.Survivors(options);
        if (survivors != exact)
        {
            int fewest = reference.Survivors(options with { TopP = options.TopP - CutTolerance, MinP = Math.Min(1, options.MinP + CutTolerance) });
            int most = reference.Survivors(options with { TopP = Math.Min(1, options.TopP + CutTolerance), MinP = Math.Max(0, options.MinP - CutTolerance) });
            Assert.True(survivors >= fewest && survivors <= most, $"{what}: {survivors} ids survive, the reference keeps {exact}");
        }
        for (int i = 0; i < survivors; i++)
            Assert.True(fast[reference.Ranked[i]] > 0, $"{what}: id {reference.Ranked[i]}, ranked {i}, was cut");

        double[] expected = reference.Distribution(survivors, options.Temperature);
        for (int id = 0; id < fast.Length; id++)
        {
            double tolerance = 1e-7 + 1e-4 * expected[id];
            Assert.True(Math.Abs(fast[id] - expected[id]) <= tolerance, $"{what}: id {id} has probability {fast[id]}, the reference {expected[id]}");
        }
    }

    private static float[] RandomLogits(string shape, int seed)
    {
        var random = new Random(seed);
        var logits = new float[VocabularySize];
        for (int i = 0; i < logits.Length; i++)
        {
            double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            logits[i] = shape switch
            {
                "narrow" => (float)normal,
                "wide" => (float)(4 * normal),
                _ => MathF.Round((float)(3 * normal) * 2) / 2,   // steps of 0.5: hundreds of ids share each logit
            };
        }
        return logits;
    }
}

using Tessera.Server.Scheduling;

namespace Tessera.Server.Tests;

public sealed class LogprobCalculatorTests
{
    [Fact]
    public void Logprobs_are_a_log_softmax_with_the_top_sorted()
    {
        float[] logits = [1f, 3f, 2f, -1f];
        var result = LogprobCalculator.Compute(logits, chosen: 2, topCount: 3);
        double normaliser = Math.Log(logits.Sum(l => Math.Exp(l)));
        Assert.Equal(2 - normaliser, result.Logprob, 5);
        Assert.Equal([1, 2, 0], result.Top.Select(t => t.TokenId));
        Assert.Equal(3 - normaliser, result.Top[0].Logprob, 5);
        Assert.Equal(1.0, result.Top.Sum(t => Math.Exp(t.Logprob)) + Math.Exp(-1 - normaliser), 5);
    }

    [Fact]
    public void No_alternatives_when_none_are_asked_for()
    {
        var result = LogprobCalculator.Compute([0f, 0f], chosen: 1, topCount: 0);
        Assert.Empty(result.Top);
        Assert.Equal(Math.Log(0.5), result.Logprob, 5);
    }

    [Fact]
    public void Logprobs_over_a_large_vocabulary_match_a_double_precision_softmax()
    {
        var random = new Random(12);
        float[] logits = Enumerable.Range(0, 32_003).Select(_ => (float)(random.NextDouble() * 40 - 10)).ToArray();
        double max = logits.Max();
        double normaliser = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        var result = LogprobCalculator.Compute(logits, chosen: 777, topCount: 20);
        Assert.Equal(logits[777] - normaliser, result.Logprob, 4);
        int[] expectedTop = Enumerable.Range(0, logits.Length).OrderByDescending(id => logits[id]).ThenBy(id => id).Take(20).ToArray();
        Assert.Equal(expectedTop, result.Top.Select(t => t.TokenId));
        Assert.All(result.Top, t => Assert.Equal(logits[t.TokenId] - normaliser, t.Logprob, 4));
    }
}

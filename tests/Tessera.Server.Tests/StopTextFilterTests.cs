using Tessera.Server.Scheduling;

namespace Tessera.Server.Tests;

public sealed class StopTextFilterTests
{
    private static (string Shown, bool Matched) Feed(IReadOnlyList<string> stops, params string[] pieces)
    {
        var filter = new StopTextFilter(stops);
        string shown = string.Concat(pieces.Select(filter.Push));
        bool matched = filter.Matched;
        return (shown + filter.Drain(), matched);
    }

    [Fact]
    public void A_stop_string_split_over_pieces_is_never_shown()
    {
        var filter = new StopTextFilter(["END"]);
        Assert.Equal("abc", filter.Push("abcE"));
        Assert.Equal("", filter.Push("N"));
        Assert.Equal("", filter.Push("Dxyz"));
        Assert.True(filter.Matched);
        Assert.Equal("", filter.Drain());
    }

    [Fact]
    public void A_false_start_is_released_once_it_cannot_match()
    {
        var filter = new StopTextFilter(["END"]);
        Assert.Equal("a", filter.Push("aEN"));
        Assert.Equal("ENx", filter.Push("x"));
        Assert.False(filter.Matched);
    }

    [Theory]
    [InlineData("a two one", "a ")]
    [InlineData("x one two", "x ")]
    [InlineData("one two", "")]
    [InlineData("no stop here", "no stop here")]
    public void The_earliest_of_several_stop_strings_wins(string text, string expected)
    {
        var (shown, matched) = Feed(["two", "one"], text.Select(c => c.ToString()).ToArray());
        Assert.Equal(expected, shown);
        Assert.Equal(expected != text, matched);
    }

    [Fact]
    public void Without_stop_strings_everything_passes_at_once()
    {
        var filter = new StopTextFilter([]);
        Assert.Equal("hello", filter.Push("hello"));
        Assert.Equal("", filter.Drain());
    }

    [Fact]
    public void Held_back_text_comes_out_when_generation_ends_otherwise()
    {
        var filter = new StopTextFilter(["STOP"]);
        Assert.Equal("ab", filter.Push("abST"));
        Assert.Equal("ST", filter.Drain());
    }
}

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
}

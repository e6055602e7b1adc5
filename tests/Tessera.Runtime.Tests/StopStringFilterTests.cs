using Tessera.Runtime.Generation;

namespace Tessera.Runtime.Tests;

public sealed class StopStringFilterTests
{
    private static (string Shown, bool Stopped) Feed(IReadOnlyList<string> stops, params string[] pieces)
    {
        var filter = new StopStringFilter(stops);
        string shown = string.Concat(pieces.Select(filter.Push));
        bool stopped = filter.Stopped;
        return (shown + filter.Flush(), stopped);
    }

    [Fact]
    public void A_stop_string_split_over_pieces_is_never_shown()
    {
        var filter = new StopStringFilter(["END"]);
        Assert.Equal("abc", filter.Push("abcE"));
        Assert.Equal("", filter.Push("N"));
        Assert.Equal("", filter.Push("Dxyz"));
        Assert.True(filter.Stopped);
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void A_false_start_is_released_once_it_cannot_match()
    {
        var filter = new StopStringFilter(["END"]);
        Assert.Equal("a", filter.Push("aEN"));
        Assert.Equal("ENx", filter.Push("x"));
        Assert.False(filter.Stopped);
    }

    [Theory]
    [InlineData("a two one", "a ")]
    [InlineData("x one two", "x ")]
    [InlineData("one two", "")]
    [InlineData("no stop here", "no stop here")]
    public void The_earliest_of_several_stop_strings_wins(string text, string expected)
    {
        var (shown, stopped) = Feed(["two", "one"], text.Select(c => c.ToString()).ToArray());
        Assert.Equal(expected, shown);
        Assert.Equal(expected != text, stopped);
    }

    [Fact]
    public void Without_stop_strings_everything_passes_at_once()
    {
        var filter = new StopStringFilter([]);
        Assert.Equal("hello", filter.Push("hello"));
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void Held_back_text_comes_out_when_generation_ends_otherwise()
    {
        var filter = new StopStringFilter(["STOP"]);
        Assert.Equal("ab", filter.Push("abST"));
        Assert.Equal("ST", filter.Flush());
    }
}

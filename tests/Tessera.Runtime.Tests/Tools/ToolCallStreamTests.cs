using Tessera.Runtime.Tools;

namespace Tessera.Runtime.Tests.Tools;

/// <summary>Streaming: plain text goes out at once, a possible call is held, and nothing is lost or repeated.</summary>
public sealed class ToolCallStreamTests
{
    private static (string Streamed, ToolCallParse End) Run(ToolCallFormat format, IEnumerable<string> pieces)
    {
        var stream = new ToolCallStream(format);
        var streamed = new System.Text.StringBuilder();
        foreach (string piece in pieces)
            streamed.Append(stream.Append(piece));
        return (streamed.ToString(), stream.Finish());
    }

    /// <summary>Every split of the text into two-character pieces, as tokens arrive.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        for (int i = 0; i < text.Length; i += 2)
            yield return text.Substring(i, Math.Min(2, text.Length - i));
    }

    [Fact]
    public void Text_before_a_hermes_call_streams_and_the_call_comes_at_the_end()
    {
        const string Answer = "Checking <tool_ now.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>";
        var (streamed, end) = Run(ToolCallFormat.Hermes, Pieces(Answer));
        Assert.Equal("Checking <tool_ now.\n", streamed);
        Assert.Equal("f", Assert.Single(end.Calls).Name);
        Assert.Equal("", end.Content);
    }

    [Fact]
    public void A_held_part_that_is_not_a_call_comes_out_as_text()
    {
        const string Answer = "Tags like <tool_call> are special, says the manual.";
        var (streamed, end) = Run(ToolCallFormat.Hermes, Pieces(Answer));
        Assert.Empty(end.Calls);
        Assert.Equal(Answer, streamed + end.Content);
        Assert.Equal("Tags like ", streamed);
    }

    [Fact]
    public void Plain_answers_stream_whole_in_every_format()
    {
        const string Answer = "Hello there, nothing to call.";
        foreach (var format in new[] { ToolCallFormat.Hermes, ToolCallFormat.Llama3, ToolCallFormat.Mistral })
        {
            var (streamed, end) = Run(format, Pieces(Answer));
            Assert.Equal(Answer, streamed + end.Content);
            Assert.True(streamed.Length >= Answer.Length - 1, $"{format.Name} held back '{end.Content}'");
        }
    }

    [Fact]
    public void A_llama3_call_is_held_from_the_start()
    {
        var (streamed, end) = Run(ToolCallFormat.Llama3, Pieces("{\"name\": \"f\", \"parameters\": {}}"));
        Assert.Equal("", streamed);
        Assert.Equal("f", Assert.Single(end.Calls).Name);
    }
}

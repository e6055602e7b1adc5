using Tessera.Runtime.Generation;
using Tessera.Runtime.Sampling;

namespace Tessera.Runtime.Tests;

public sealed class GeneratorTests(StoriesModel stories) : IClassFixture<StoriesModel>
{
    private int[] Prompt => stories.Tokenizer.Encode("Once upon a time");

    private GenerationResult Generate(GenerationOptions options, SamplerOptions? sampling = null, List<string>? streamed = null)
    {
        using var context = stories.CreateContext();
        using var session = context.CreateSession();
        var generator = new Generator(session, stories.Tokenizer);
        return generator.Generate(Prompt, new Sampler(sampling ?? SamplerOptions.Greedy, stories.Model.VocabularySize), options, streamed is null ? null : streamed.Add);
    }

    [Fact]
    public void Stops_at_the_token_limit_and_streams_exactly_the_result_text()
    {
        var streamed = new List<string>();
        var result = Generate(new GenerationOptions { MaxTokens = 12 }, streamed: streamed);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(12, result.TokenIds.Count);
        Assert.Equal(result.Text, string.Concat(streamed));
        Assert.Equal(stories.Tokenizer.Decode(result.TokenIds.ToArray()), result.Text);
        Assert.Equal(Prompt.Length, result.PromptTokens);
    }

    [Fact]
    public void Stop_string_ends_generation_and_is_never_shown()
    {
        var full = Generate(new GenerationOptions { MaxTokens = 24 });
        int cut = full.Text.IndexOf("named", StringComparison.Ordinal);
        Assert.True(cut > 0, "the greedy continuation should contain the stop word: " + full.Text);
        var streamed = new List<string>();
        var stopped = Generate(new GenerationOptions { MaxTokens = 24, StopStrings = ["named"] }, streamed: streamed);
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(full.Text[..cut], stopped.Text);
        Assert.DoesNotContain("nam", string.Concat(streamed));
    }

    [Fact]
    public void Seeded_sampling_is_repeatable()
    {
        var options = new SamplerOptions { Seed = 11 };
        var a = Generate(new GenerationOptions { MaxTokens = 20 }, options);
        var b = Generate(new GenerationOptions { MaxTokens = 20 }, options);
        Assert.Equal(a.TokenIds, b.TokenIds);
    }

    [Fact]
    public void Stops_when_the_context_is_full()
    {
        using var context = stories.CreateContext(contextSize: 10);
        using var session = context.CreateSession();
        var result = new Generator(session, stories.Tokenizer).Generate(Prompt, new Sampler(SamplerOptions.Greedy, stories.Model.VocabularySize),
            new GenerationOptions { MaxTokens = 100, StopAtEndOfGeneration = false });
        Assert.Equal(FinishReason.ContextFull, result.FinishReason);
        Assert.Equal(10, session.Length);
    }

    [Fact]
    public void A_conversation_continues_in_the_same_session()
    {
        using var context = stories.CreateContext();
        using var session = context.CreateSession();
        var generator = new Generator(session, stories.Tokenizer);
        var sampler = new Sampler(SamplerOptions.Greedy, stories.Model.VocabularySize);
        var first = generator.Generate(Prompt, sampler, new GenerationOptions { MaxTokens = 5 });
        int[] turn = stories.Tokenizer.Encode(" She", addSpecial: false);
        var second = generator.Generate(turn, sampler, new GenerationOptions { MaxTokens = 5 });
        int[] expected = [.. Prompt, .. first.TokenIds, .. turn, .. second.TokenIds];
        Assert.Equal(expected, session.Tokens);
        Assert.Equal(5, first.TokenIds.Count);
    }
}

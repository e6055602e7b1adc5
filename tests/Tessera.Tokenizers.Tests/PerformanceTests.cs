using System.Diagnostics;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Tokenizers.Tests;

/// <summary>Encoding about 40 KB of prose must stay well under a second (no quadratic paths).</summary>
public sealed class PerformanceTests(TokenizerCache cache, ITestOutputHelper output) : IClassFixture<TokenizerCache>
{
    /// <summary>Generous against a busy 2-core machine; typical times are a small fraction of this.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("llama-bpe")]
    [InlineData("qwen2")]
    [InlineData("deepseek-llm")]
    [InlineData("bert-bge")]
    public void Encodes_the_40KB_sample_quickly(string vocabName)
    {
        var tokenizer = cache.Vocab(vocabName);
        string text = File.ReadAllText(Path.Combine(SharedData.Refs, "text", "sample.txt"));
        tokenizer.Encode(text[..2000]); // warm up: JIT and regex compilation

        var clock = Stopwatch.StartNew();
        int[] ids = tokenizer.Encode(text);
        clock.Stop();

        output.WriteLine($"{vocabName}: {text.Length} chars -> {ids.Length} tokens in {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(clock.Elapsed < Budget, $"{vocabName} took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("qwen2")]
    public void A_long_run_without_spaces_is_not_quadratic(string vocabName)
    {
        var tokenizer = cache.Vocab(vocabName);
        string word = string.Concat(Enumerable.Repeat("abcdefghij", 4000)); // one 40,000-character word
        var clock = Stopwatch.StartNew();
        int[] ids = tokenizer.Encode(word, addSpecial: false);
        clock.Stop();
        Assert.Equal(word, tokenizer.Decode(ids));
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }
}

namespace Tessera.Tokenizers.Tests;

/// <summary>Pre-tokenizer splits, including characters outside the Basic Multilingual Plane.</summary>
public sealed class PreTokenizerTests(TokenizerCache cache) : IClassFixture<TokenizerCache>
{
    private static string[] Words(string preTokenizer, string text) =>
        PreTokenizer.ForName(preTokenizer).Split(text).Select(p => text.Substring(p.Start, p.Length)).ToArray();

    [Fact]
    public void Gpt2_splits_contractions_words_numbers_and_trailing_spaces()
    {
        Assert.Equal(["I", "'ll", " say", " 42", "!!", "  ", " ok", "   "], Words("gpt-2", "I'll say 42!!   ok   "));
    }

    [Fact]
    public void Llama3_groups_digits_by_three_and_keeps_newline_runs()
    {
        Assert.Equal(["123", "456", "7", "\n\n", "Hi"], Words("llama-bpe", "1234567\n\nHi"));
    }

    [Fact]
    public void A_character_outside_the_bmp_is_one_character_to_the_patterns()
    {
        // The emoji is the optional non-letter before a letter run; 𝟏 and 𝟐 are digits (one word each in Qwen 2).
        Assert.Equal(["🦙abc", " ", "𝟏", "𝟐"], Words("qwen2", "🦙abc 𝟏𝟐"));
        // A supplementary letter (CJK Extension B) joins the letter run.
        Assert.Equal(["a𠀀b", " c"], Words("gpt-2", "a𠀀b c"));
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama-bpe")]
    [InlineData("gpt-2")]
    [InlineData("deepseek-llm")]
    [InlineData("deepseek-coder")]
    [InlineData("starcoder")]
    [InlineData("falcon")]
    public void Byte_level_encoding_round_trips_supplementary_characters(string vocabName)
    {
        var tokenizer = cache.Vocab(vocabName);
        foreach (string text in new[] { "🦙abc", "x🚀1", "𝟏𝟐𝟑 𠀀𠀁!", "ok 😶‍🌫️ ok" })
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        // A lone surrogate is not text; it is encoded as U+FFFD.
        Assert.Equal("a\uFFFDb", tokenizer.Decode(tokenizer.Encode("a\uDE00b")));
    }

    [Fact]
    public void Every_named_pre_tokenizer_covers_its_text_exactly()
    {
        const string text = "Hello, World! It's 2024-06-01: 東京 über 42.5% 🦙\n\n  def f(x):\treturn x  ";
        foreach (string name in PreTokenizerPatterns.Names)
        {
            var pieces = PreTokenizer.ForName(name).Split(text);
            Assert.Equal(text, string.Concat(pieces.Select(p => text.Substring(p.Start, p.Length))));
            Assert.All(pieces, p => Assert.True(p.Length > 0));
        }
    }

    [Fact]
    public void Unknown_name_lists_the_known_ones()
    {
        var error = Assert.Throws<TokenizerException>(() => PreTokenizer.ForName("nope"));
        Assert.Contains("nope", error.Message);
        Assert.Contains("qwen2", error.Message);
    }
}

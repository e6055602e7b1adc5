namespace Tessera.Tokenizers.Tests;

/// <summary>BOS/EOS, special-token parsing and decoding of special tokens, mostly on tiny in-memory vocabularies.</summary>
public sealed class SpecialTokenTests(TokenizerCache cache) : IClassFixture<TokenizerCache>
{
    private static readonly Tokenizer SentencePiece = Tokenizer.FromGguf(TestMetadata.SentencePiece().Build());

    private static int Id(Tokenizer tokenizer, string piece) =>
        Enumerable.Range(0, tokenizer.VocabularySize).Single(i => tokenizer.TokenText(i) == piece);

    [Fact]
    public void SentencePiece_adds_bos_by_default_and_a_space_prefix()
    {
        Assert.True(SentencePiece.AddBos);
        Assert.False(SentencePiece.AddEos);
        Assert.Equal([1, Id(SentencePiece, "▁hello")], SentencePiece.Encode("hello"));
        Assert.Equal([Id(SentencePiece, "▁hello")], SentencePiece.Encode("hello", addSpecial: false));
        Assert.Equal([1], SentencePiece.Encode(""));
    }

    [Fact]
    public void Add_flags_in_metadata_override_the_model_defaults()
    {
        var tokenizer = Tokenizer.FromGguf(TestMetadata.SentencePiece()
            .Bool("tokenizer.ggml.add_bos_token", false).Bool("tokenizer.ggml.add_eos_token", true).Build());
        Assert.Equal([Id(tokenizer, "▁hello"), 2], tokenizer.Encode("hello"));
    }

    [Fact]
    public void Control_token_text_is_a_token_only_when_parsing_special()
    {
        int end = Id(SentencePiece, "<|end|>");
        int[] parsed = SentencePiece.Encode("hello<|end|>hello", addSpecial: false, parseSpecial: true);
        Assert.Equal([Id(SentencePiece, "▁hello"), end, Id(SentencePiece, "▁hello")], parsed);

        int[] plain = SentencePiece.Encode("hello<|end|>", addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(end, plain);
        Assert.Equal("hello<|end|>", SentencePiece.Decode(plain));
    }

    [Fact]
    public void Characters_without_a_piece_fall_back_to_byte_tokens()
    {
        int[] ids = SentencePiece.Encode("é", addSpecial: false);
        Assert.Equal([Id(SentencePiece, "▁"), Id(SentencePiece, "<0xC3>"), Id(SentencePiece, "<0xA9>")], ids);
        Assert.Equal("é", SentencePiece.Decode(ids));
    }

    [Fact]
    public void Decoding_drops_the_prefix_space_after_bos_and_hides_control_tokens_unless_asked()
    {
        int[] ids = SentencePiece.Encode("hello hello");
        Assert.Equal("hello hello", SentencePiece.Decode(ids));
        Assert.Equal("<s> hello hello", SentencePiece.Decode(ids, renderSpecial: true));
        Assert.Equal("<s>"u8.ToArray(), SentencePiece.TokenBytes(1));
    }

    [Fact]
    public void Longest_special_token_wins()
    {
        var tokenizer = Tokenizer.FromGguf(TestMetadata.SentencePiece()
            .Strings("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "<a>", "<a><b>", "▁", "x"])
            .Int32s("tokenizer.ggml.token_type", [2, 3, 3, 3, 3, 1, 1])
            .Floats("tokenizer.ggml.scores", [0, 0, 0, 0, 0, 0, 0]).Build());
        Assert.Equal([4, 3], tokenizer.Encode("<a><b><a>", addSpecial: false, parseSpecial: true));
    }

    [Fact]
    public void Byte_level_bpe_merges_by_rank_and_adds_no_bos_by_default()
    {
        var tokenizer = Tokenizer.FromGguf(TestMetadata.BytePair().Build());
        int hey = Id(tokenizer, "hey");
        Assert.False(tokenizer.AddBos);
        Assert.Equal([hey, Id(tokenizer, "Ġ"), hey], tokenizer.Encode("hey hey"));
        Assert.Equal("hey hey", tokenizer.Decode(tokenizer.Encode("hey hey")));
        Assert.Contains(Id(tokenizer, "<|endoftext|>"), tokenizer.EndOfGenerationIds);
    }

    [Fact]
    public void Chat_vocabulary_lists_turn_end_tokens_as_end_of_generation()
    {
        // Qwen: <|im_end|> is EOS and <|endoftext|> ends a generation too; <|im_start|> does not.
        var qwen = cache.Vocab("qwen2");
        Assert.Contains(Id(qwen, "<|im_end|>"), qwen.EndOfGenerationIds);
        Assert.Contains(Id(qwen, "<|endoftext|>"), qwen.EndOfGenerationIds);
        Assert.DoesNotContain(Id(qwen, "<|im_start|>"), qwen.EndOfGenerationIds);
    }
}

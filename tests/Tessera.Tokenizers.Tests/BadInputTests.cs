namespace Tessera.Tokenizers.Tests;

/// <summary>Bad metadata and bad ids raise a <see cref="TokenizerException"/> naming the culprit.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void Unknown_tokenizer_model_is_named()
    {
        var metadata = TestMetadata.SentencePiece().String("tokenizer.ggml.model", "unigram-x").Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("unigram-x", error.Message);
    }

    [Fact]
    public void Unknown_pre_tokenizer_is_named()
    {
        var metadata = TestMetadata.BytePair(pre: "no-such-pre").Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("no-such-pre", error.Message);
    }

    [Fact]
    public void Missing_tokens_array_is_named()
    {
        var metadata = TestMetadata.SentencePiece().Without("tokenizer.ggml.tokens").Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("tokenizer.ggml.tokens", error.Message);
    }

    [Fact]
    public void Missing_model_name_is_named()
    {
        var metadata = TestMetadata.SentencePiece().Without("tokenizer.ggml.model").Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("tokenizer.ggml.model", error.Message);
    }

    [Fact]
    public void Byte_level_vocabulary_without_merges_is_rejected()
    {
        var metadata = TestMetadata.BytePair().Without("tokenizer.ggml.merges").Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("merges", error.Message);
    }

    [Fact]
    public void Scores_of_the_wrong_length_are_rejected()
    {
        var metadata = TestMetadata.SentencePiece().Floats("tokenizer.ggml.scores", 1f, 2f).Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("scores", error.Message);
    }

    [Fact]
    public void Special_token_id_outside_the_vocabulary_is_named()
    {
        var metadata = TestMetadata.SentencePiece().UInt32("tokenizer.ggml.bos_token_id", 1_000_000).Build();
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata));
        Assert.Contains("tokenizer.ggml.bos_token_id", error.Message);
    }

    [Fact]
    public void Unset_special_token_id_marker_means_none()
    {
        var metadata = TestMetadata.SentencePiece().UInt32("tokenizer.ggml.padding_token_id", uint.MaxValue).Build();
        Assert.Null(Tokenizer.FromGguf(metadata).PaddingId);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Token_id_outside_the_vocabulary_is_named(int id)
    {
        var tokenizer = Tokenizer.FromGguf(TestMetadata.SentencePiece().Build());
        int outside = id == int.MaxValue ? tokenizer.VocabularySize : id;

        Assert.Contains(outside.ToString(), Assert.Throws<TokenizerException>(() => tokenizer.Decode([1, outside])).Message);
        Assert.Throws<TokenizerException>(() => tokenizer.TokenBytes(outside));
        Assert.Throws<TokenizerException>(() => tokenizer.TokenText(outside));
        Assert.Throws<TokenizerException>(() => tokenizer.CreateStreamingDecoder().Append(outside));
    }
}

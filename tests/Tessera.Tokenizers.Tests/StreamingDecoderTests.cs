using System.Text;

namespace Tessera.Tokenizers.Tests;

/// <summary>Streaming decoding never splits a character and never invents replacement characters.</summary>
public sealed class StreamingDecoderTests(TokenizerCache cache) : IClassFixture<TokenizerCache>
{
    [Fact]
    public void Character_split_over_byte_tokens_is_held_back_then_emitted_whole()
    {
        var tokenizer = cache.Vocab("llama-spm");
        int[] ids = tokenizer.Encode("🦙", addSpecial: false);
        var byteTokens = ids.Where(id => tokenizer.TokenText(id).StartsWith("<0x", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, byteTokens.Length); // U+1F999 is four UTF-8 bytes, each its own byte-fallback token

        var decoder = tokenizer.CreateStreamingDecoder();
        var outputs = ids.Select(decoder.Append).ToList();
        Assert.Equal(" 🦙", string.Concat(outputs) + decoder.Flush());
        Assert.Equal(["", "", ""], outputs.Skip(outputs.Count - 4).Take(3));
        Assert.Equal("🦙", outputs[^1]);
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama-bpe")]
    [InlineData("llama-spm")]
    public void Streaming_every_vector_text_gives_whole_characters_only(string vocabName)
    {
        var tokenizer = cache.Vocab(vocabName);
        string[] texts =
        [
            "Café naïve résumé — 東京 🦙🚀 Привет, мир!", "ฐานข้อมูล 🌫️ 😶‍🌫️", "   (\n\t\u00e9\u0301)", "Hello, world!",
        ];
        foreach (string text in texts)
        {
            int[] ids = tokenizer.Encode(text, addSpecial: false);
            var decoder = tokenizer.CreateStreamingDecoder();
            var streamed = new StringBuilder();
            foreach (int id in ids)
            {
                string chunk = decoder.Append(id);
                Assert.DoesNotContain('\uFFFD', chunk);
                Assert.False(chunk.Length > 0 && char.IsHighSurrogate(chunk[^1]), "chunk ends inside a surrogate pair");
                streamed.Append(chunk);
            }
            Assert.Equal("", decoder.Flush());
            Assert.Equal(Encoding.UTF8.GetString(ids.SelectMany(tokenizer.TokenBytes).ToArray()), streamed.ToString());
            Assert.EndsWith(text, streamed.ToString());
        }
    }

    [Fact]
    public void Flush_returns_an_unfinished_character_as_a_replacement_and_resets()
    {
        var tokenizer = cache.Vocab("llama-spm");
        int lead = Array.FindIndex(Enumerable.Range(0, tokenizer.VocabularySize).ToArray(), i => tokenizer.TokenText(i) == "<0xF0>");
        var decoder = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", decoder.Append(lead));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Control_tokens_stream_as_nothing_unless_rendered()
    {
        var tokenizer = cache.Vocab("qwen2");
        int imEnd = tokenizer.Encode("<|im_end|>", addSpecial: false, parseSpecial: true).Single();
        Assert.Equal("", tokenizer.CreateStreamingDecoder().Append(imEnd));
        Assert.Equal("<|im_end|>", tokenizer.CreateStreamingDecoder(renderSpecial: true).Append(imEnd));
    }
}

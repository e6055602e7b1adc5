using Tessera.Testing;

namespace Tessera.Tokenizers.Tests;

/// <summary>
/// The shared tokenizer vectors: for each vocabulary, every test string must give exactly the
/// expected ids (no BOS/EOS, special-token text not parsed), and decode back to itself where the
/// tokenizer is lossless.
/// </summary>
public sealed class TokenizerVectorTests(TokenizerCache cache) : IClassFixture<TokenizerCache>
{
    private const string Separator = "\n__ggml_vocab_test__\n";

    public static TheoryData<string> Vocabularies => new(
        "llama-spm", "phi-3", "bert-bge", "gpt-2", "mpt", "falcon", "starcoder", "refact",
        "deepseek-coder", "deepseek-llm", "llama-bpe", "qwen2");

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Encodes_every_vector_string_to_the_expected_ids(string vocabName)
    {
        var tokenizer = cache.Vocab(vocabName);
        var (texts, expected) = ReadVectors(vocabName);

        var failures = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            int[] ids = tokenizer.Encode(texts[i], addSpecial: false, parseSpecial: false);
            if (!ids.SequenceEqual(expected[i]))
                failures.Add($"#{i} {Show(texts[i])}: expected [{string.Join(' ', expected[i])}] got [{string.Join(' ', ids)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {texts.Length} strings differ:\n" + string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Decodes_expected_ids_back_to_the_text_when_lossless(string vocabName)
    {
        if (vocabName == "bert-bge")
            return; // WordPiece lowercases and drops whitespace: not lossless by design
        var tokenizer = cache.Vocab(vocabName);
        var (texts, expected) = ReadVectors(vocabName);

        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(texts[i], tokenizer.Decode(expected[i]));
    }

    /// <summary>`X.inp` holds the strings, each followed by the separator line; `X.out` one id line per string.</summary>
    private static (string[] Texts, int[][] Ids) ReadVectors(string vocabName)
    {
        string basePath = Path.Combine(SharedData.TokenizerVectors, $"ggml-vocab-{vocabName}.gguf");
        string input = File.ReadAllText(basePath + ".inp");
        Assert.EndsWith(Separator, input);
        string[] texts = input[..^Separator.Length].Split(Separator);
        string[] lines = File.ReadAllText(basePath + ".out").Split('\n');
        Assert.True(lines.Length >= texts.Length, $"{vocabName}: {texts.Length} strings but {lines.Length} id lines");
        var ids = lines.Take(texts.Length)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())
            .ToArray();
        return (texts, ids);
    }

    private static string Show(string text) =>
        "'" + text.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r") + "'";
}

using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Tokenizers.Tests;

/// <summary>
/// Every model's reference file: the six tokenization texts (with special tokens added and
/// special-token text parsed, and again as plain text), the greedy prompt, and the vocabulary facts.
/// </summary>
public sealed class ReferenceTokenizationTests(TokenizerCache cache) : IClassFixture<TokenizerCache>
{
    public static TheoryData<string> ReferenceFiles => new(
        Directory.EnumerateFiles(SharedData.Refs, "*.ref.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void Matches_the_reference_vocabulary_facts(string referenceFile)
    {
        var (root, tokenizer) = Load(referenceFile);

        Assert.Equal(root.GetProperty("n_vocab").GetInt32(), tokenizer.VocabularySize);
        Assert.Equal(root.GetProperty("add_bos").GetBoolean(), tokenizer.AddBos);
        Assert.Equal(root.GetProperty("add_eos").GetBoolean(), tokenizer.AddEos);
        Assert.Equal(root.GetProperty("bos_id").GetInt32(), tokenizer.BosId);
        Assert.Equal(root.GetProperty("eos_id").GetInt32(), tokenizer.EosId);
        Assert.Contains(tokenizer.EosId!.Value, tokenizer.EndOfGenerationIds);
    }

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void Encodes_the_reference_texts_to_the_reference_ids(string referenceFile)
    {
        var (root, tokenizer) = Load(referenceFile);

        foreach (var item in root.GetProperty("tokenization").EnumerateArray())
        {
            string text = item.GetProperty("text").GetString()!;
            Assert.Equal(Ids(item.GetProperty("ids")), tokenizer.Encode(text, addSpecial: true, parseSpecial: true));
            Assert.Equal(Ids(item.GetProperty("ids_no_parse_special")), tokenizer.Encode(text, addSpecial: true, parseSpecial: false));
        }
        var greedy = root.GetProperty("greedy")[0];
        Assert.Equal(Ids(greedy.GetProperty("prompt_ids")),
            tokenizer.Encode(greedy.GetProperty("prompt").GetString()!, addSpecial: true, parseSpecial: true));
    }

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void Decodes_each_reference_piece_to_its_reference_bytes(string referenceFile)
    {
        var (root, tokenizer) = Load(referenceFile);

        foreach (var step in root.GetProperty("greedy")[0].GetProperty("steps").EnumerateArray())
        {
            int id = step.GetProperty("id").GetInt32();
            byte[] expected = Convert.FromHexString(step.GetProperty("piece_hex").GetString()!);
            Assert.Equal(expected, tokenizer.TokenBytes(id));
        }
    }

    /// <summary>
    /// The reference's JSON and the tokenizer of its model: `M.ref.json` belongs to `M.gguf` (the
    /// "model" field may carry the name the file was made under).
    /// </summary>
    private (JsonElement Root, Tokenizer Tokenizer) Load(string referenceFile)
    {
        var json = JsonSerializer.Deserialize<JsonElement>(File.ReadAllBytes(Path.Combine(SharedData.Refs, referenceFile)));
        var tokenizer = cache.Model(referenceFile[..^".ref.json".Length] + ".gguf");
        return (json, tokenizer);
    }

    private static int[] Ids(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}

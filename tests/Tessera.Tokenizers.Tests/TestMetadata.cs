using Tessera.Gguf;

namespace Tessera.Tokenizers.Tests;

/// <summary>Builds small in-memory GGUF tokenizer metadata for tests of edge cases and bad input.</summary>
internal sealed class TestMetadata
{
    private readonly Dictionary<string, GgufMetadataEntry> _entries = new(StringComparer.Ordinal);

    public TestMetadata String(string key, string value) => Add(key, GgufValueType.String, null, value);
    public TestMetadata UInt32(string key, uint value) => Add(key, GgufValueType.UInt32, null, value);
    public TestMetadata Bool(string key, bool value) => Add(key, GgufValueType.Bool, null, value);
    public TestMetadata Strings(string key, params string[] values) => Add(key, GgufValueType.Array, GgufValueType.String, values);
    public TestMetadata Floats(string key, params float[] values) => Add(key, GgufValueType.Array, GgufValueType.Float32, values);
    public TestMetadata Int32s(string key, params int[] values) => Add(key, GgufValueType.Array, GgufValueType.Int32, values);

    public TestMetadata Without(string key)
    {
        _entries.Remove(key);
        return this;
    }

    public GgufMetadata Build() => new(_entries.Values);

    /// <summary>
    /// A tiny SentencePiece vocabulary: control &lt;s&gt;/&lt;/s&gt;, unknown, all 256 byte tokens,
    /// a few pieces with scores, and the control token &lt;|end|&gt;.
    /// </summary>
    public static TestMetadata SentencePiece()
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        for (int b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            types.Add(6);
        }
        string[] pieces = ["▁", "h", "e", "l", "o", "▁h", "el", "ll", "lo", "llo", "▁hello", "▁he", "ello", "<|end|>"];
        foreach (string piece in pieces)
        {
            tokens.Add(piece);
            types.Add(piece == "<|end|>" ? 3 : 1);
        }
        // Longer pieces score higher, so "▁hello" wins whenever it can form.
        var scores = tokens.Select((t, i) => types[i] == 1 ? (float)t.Length : 0f).ToArray();
        return new TestMetadata()
            .String("tokenizer.ggml.model", "llama")
            .Strings("tokenizer.ggml.tokens", tokens.ToArray())
            .Floats("tokenizer.ggml.scores", scores)
            .Int32s("tokenizer.ggml.token_type", types.ToArray())
            .UInt32("tokenizer.ggml.bos_token_id", 1)
            .UInt32("tokenizer.ggml.eos_token_id", 2)
            .UInt32("tokenizer.ggml.unknown_token_id", 0);
    }

    /// <summary>A tiny byte-level BPE vocabulary: the 256 byte characters plus merges "h e" and "he y".</summary>
    public static TestMetadata BytePair(string pre = "gpt-2")
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ((char)ByteCharacter(b)).ToString()).ToList();
        tokens.AddRange(["he", "hey", "<|endoftext|>"]);
        var types = tokens.Select(t => t == "<|endoftext|>" ? 3 : 1).ToArray();
        return new TestMetadata()
            .String("tokenizer.ggml.model", "gpt2")
            .String("tokenizer.ggml.pre", pre)
            .Strings("tokenizer.ggml.tokens", tokens.ToArray())
            .Int32s("tokenizer.ggml.token_type", types)
            .Strings("tokenizer.ggml.merges", "h e", "he y")
            .UInt32("tokenizer.ggml.eos_token_id", (uint)tokens.Count - 1);
    }

    /// <summary>GPT-2's byte character for byte <paramref name="b"/> (printable Latin-1 maps to itself).</summary>
    private static int ByteCharacter(int b)
    {
        static bool Printable(int x) => x is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        if (Printable(b))
            return b;
        return 0x100 + Enumerable.Range(0, b).Count(x => !Printable(x));
    }

    private TestMetadata Add(string key, GgufValueType type, GgufValueType? elementType, object value)
    {
        _entries[key] = new GgufMetadataEntry(key, type, elementType, value, 0);
        return this;
    }
}

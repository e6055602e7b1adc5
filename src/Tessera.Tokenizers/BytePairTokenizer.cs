using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// Byte-level BPE (`tokenizer.ggml.model = gpt2`): the named pre-tokenizer splits text into words,
/// each word's UTF-8 bytes are spelled with GPT-2's byte characters, then merges are applied in
/// rank order (<see cref="RankedMergeTable"/>).
/// </summary>
internal sealed class BytePairTokenizer : Tokenizer
{
    // Most byte-level vocabularies add no BOS unless their metadata says so (Llama 3 style ones do).
    private static readonly TokenizerDefaults NoBos = new(null, null, null, null, AddBos: false, AddEos: false);
    private static readonly TokenizerDefaults WithBos = NoBos with { AddBos = true };

    /// <summary>Words longer than this (in bytes) are encoded in their own buffer instead of on the stack.</summary>
    private const int StackWordBytes = 512;

    private readonly PreTokenizer _preTokenizer;
    private readonly RankedMergeTable _merges;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public BytePairTokenizer(TokenizerVocabulary vocabulary)
        : base(vocabulary, PreTokenizer.ForName(vocabulary.PreTokenizer).MatchesWholeWordsFirst ? WithBos : NoBos)
    {
        _preTokenizer = PreTokenizer.ForName(vocabulary.PreTokenizer);
        if (vocabulary.Merges is null)
            throw new TokenizerException("byte-level BPE vocabulary has no merges (tokenizer.ggml.merges)");
        _merges = new RankedMergeTable(vocabulary.Merges, TokenIds);
        _lookup = TokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private protected override bool StripsLeadingSpace => false;

    private protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        foreach (var (start, length) in _preTokenizer.Split(text))
            EncodeWord(text.Slice(start, length), output);
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        int byteCount = Encoding.UTF8.GetByteCount(word);
        Span<byte> bytes = byteCount <= StackWordBytes ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(word, bytes);
        Span<char> spelled = byteCount <= StackWordBytes ? stackalloc char[byteCount] : new char[byteCount];
        for (int i = 0; i < bytes.Length; i++)
            spelled[i] = ByteLevelEncoding.ByteToChar[bytes[i]];

        if (_preTokenizer.MatchesWholeWordsFirst && _lookup.TryGetValue(spelled, out int whole))
        {
            output.Add(whole);
            return;
        }
        foreach (int id in _merges.Apply(spelled))
        {
            if (id >= 0)
                output.Add(id);
            else if (UnknownId is int unknown)
                output.Add(unknown);
            // else: a byte with no token at all; nothing sensible to emit.
        }
    }

    private protected override byte[] DecodePiece(int id, string text, TokenType type)
    {
        if (type == TokenType.UserDefined)
            return Encoding.UTF8.GetBytes(text);
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (char c in text)
        {
            if (ByteLevelEncoding.TryGetByte(c, out byte b))
                bytes.Add(b);
            else
                bytes.AddRange(utf8[..Encoding.UTF8.GetBytes([c], utf8)]); // not a byte character: keep it as text
        }
        return bytes.ToArray();
    }
}

using System.Globalization;
using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// SentencePiece BPE as used by Llama 1/2 style vocabularies (`tokenizer.ggml.model = llama`).
/// Spaces become U+2581 (▁), one is prefixed to the text, then adjacent symbols are merged
/// greedily, highest-scoring resulting token first. Characters left without a token fall back to
/// `&lt;0xXX&gt;` byte tokens (or the unknown token when the vocabulary has no byte tokens).
/// </summary>
internal sealed class SentencePieceTokenizer : Tokenizer
{
    private const char SpaceMarker = '\u2581';

    // Llama's ids, assumed by the format when the metadata leaves them out.
    private static readonly TokenizerDefaults LlamaDefaults = new(
        BosId: 1, EosId: 2, UnknownId: 0, PaddingId: null, AddBos: true, AddEos: false);

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int[] _byteTokens; // byte value -> id of "<0xXX>", or -1
    private readonly bool _addSpacePrefix;

    public SentencePieceTokenizer(TokenizerVocabulary vocabulary) : base(vocabulary, LlamaDefaults)
    {
        _lookup = TokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _addSpacePrefix = vocabulary.AddSpacePrefix ?? true;
        _byteTokens = new int[256];
        for (int b = 0; b < 256; b++)
            _byteTokens[b] = TokenIds.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    private protected override bool StripsLeadingSpace => _addSpacePrefix;

    private protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        bool prefix = _addSpacePrefix && afterSpecial;
        var escaped = new char[text.Length + (prefix ? 1 : 0)];
        if (prefix)
            escaped[0] = SpaceMarker;
        text.Replace(escaped.AsSpan(prefix ? 1 : 0), ' ', SpaceMarker);

        var merger = new ScoredSymbolMerger(escaped, _lookup, Vocabulary);
        foreach (var (start, length) in merger.Run())
            AppendSymbol(escaped.AsSpan(start, length), output);
    }

    /// <summary>A final symbol is a token, or (a single character without one) its UTF-8 bytes.</summary>
    private void AppendSymbol(ReadOnlySpan<char> symbol, List<int> output)
    {
        if (_lookup.TryGetValue(symbol, out int id))
        {
            output.Add(id);
            return;
        }
        Span<byte> utf8 = stackalloc byte[8];
        int count = Encoding.UTF8.GetBytes(symbol, utf8);
        foreach (byte b in utf8[..count])
        {
            int byteToken = _byteTokens[b];
            if (byteToken >= 0)
                output.Add(byteToken);
            else if (UnknownId is int unknown)
                output.Add(unknown);
            else
                throw new TokenizerException($"character '{symbol}' has no token, no byte token and the vocabulary has no unknown token");
        }
    }

    private protected override byte[] DecodePiece(int id, string text, TokenType type)
    {
        if (type == TokenType.Byte && TryParseByteToken(text, out byte value))
            return [value];
        return Encoding.UTF8.GetBytes(text.Replace(SpaceMarker, ' '));
    }

    private static bool TryParseByteToken(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }
}

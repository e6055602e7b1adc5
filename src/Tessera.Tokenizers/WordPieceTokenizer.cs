using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// WordPiece (`tokenizer.ggml.model = bert`). GGUF BERT vocabularies mark word starts with U+2581 (▁)
/// instead of marking continuations with "##". Text is split into words (see <see cref="BertWordSplitter"/>),
/// then each word, with ▁ in front, is cut greedily into the longest tokens from the left; a word that
/// cannot be cut completely becomes the unknown token.
/// </summary>
internal sealed class WordPieceTokenizer : Tokenizer
{
    private const char WordStart = '\u2581';

    // BERT's conventional ids ([CLS] 101 as BOS, [SEP] 102 as EOS, [UNK] 100, [PAD] 0) when metadata is silent.
    private static readonly TokenizerDefaults BertDefaults = new(
        BosId: 101, EosId: 102, UnknownId: 100, PaddingId: 0, AddBos: true, AddEos: true);

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _longestToken;

    public WordPieceTokenizer(TokenizerVocabulary vocabulary)
        : base(vocabulary with
        {
            BosId = vocabulary.BosId ?? vocabulary.ClsId,
            EosId = vocabulary.EosId ?? vocabulary.SeparatorId,
        }, BertDefaults)
    {
        _lookup = TokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _longestToken = vocabulary.Tokens.Max(t => t.Length);
    }

    private protected override bool StripsLeadingSpace => true;

    private protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        foreach (string word in BertWordSplitter.Split(text))
            EncodeWord(WordStart + word, output);
    }

    private void EncodeWord(string word, List<int> output)
    {
        int firstToken = output.Count;
        for (int start = 0; start < word.Length;)
        {
            int end = Math.Min(word.Length, start + _longestToken);
            for (; end > start; end--)
            {
                if (_lookup.TryGetValue(word.AsSpan(start, end - start), out int id))
                {
                    output.Add(id);
                    break;
                }
            }
            if (end == start)
            {
                output.RemoveRange(firstToken, output.Count - firstToken);
                output.Add(UnknownId ?? throw new TokenizerException($"word '{word[1..]}' has no tokens and the vocabulary has no unknown token"));
                return;
            }
            start = end;
        }
    }

    private protected override byte[] DecodePiece(int id, string text, TokenType type) =>
        Encoding.UTF8.GetBytes(text.Replace(WordStart, ' '));
}

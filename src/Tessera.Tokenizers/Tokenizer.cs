using System.Text;
using Tessera.Gguf;

namespace Tessera.Tokenizers;

/// <summary>
/// Text to token ids and back for one vocabulary. Subclasses implement one tokenizer model
/// (SentencePiece, byte-level BPE, WordPiece); special tokens, BOS/EOS and UTF-8 safe decoding live here.
/// Instances are immutable after construction and safe to share between threads.
/// </summary>
public abstract class Tokenizer
{
    private readonly TokenizerVocabulary _vocabulary;
    private readonly SpecialTokenSplitter _specialTokens;
    private readonly byte[][] _pieces;            // what each token decodes to in running text
    private readonly byte[][] _renderedPieces;    // same, with control tokens rendered as their text

    private protected Tokenizer(TokenizerVocabulary vocabulary, TokenizerDefaults defaults)
    {
        vocabulary.Validate();
        _vocabulary = vocabulary;
        TokenIds = BuildTokenIds(vocabulary.Tokens);
        BosId = vocabulary.BosId ?? defaults.BosId;
        EosId = vocabulary.EosId ?? defaults.EosId;
        UnknownId = vocabulary.UnknownId ?? defaults.UnknownId;
        PaddingId = vocabulary.PaddingId ?? defaults.PaddingId;
        AddBos = vocabulary.AddBos ?? defaults.AddBos;
        AddEos = vocabulary.AddEos ?? defaults.AddEos;
        RequireInVocabulary(BosId, AddBos, "BOS");
        RequireInVocabulary(EosId, AddEos, "EOS");
        if (UnknownId is int unk && unk >= VocabularySize)
            UnknownId = null;
        if (PaddingId is int pad && pad >= VocabularySize)
            PaddingId = null;
        _specialTokens = new SpecialTokenSplitter(vocabulary);
        EndOfGenerationIds = EndOfGeneration.Collect(vocabulary, EosId);
        _pieces = new byte[VocabularySize][];
        _renderedPieces = new byte[VocabularySize][];
    }

    /// <summary>Builds the tokenizer described by GGUF tokenizer metadata.</summary>
    public static Tokenizer FromGguf(GgufMetadata metadata) => Create(GgufVocabularyReader.Read(metadata));

    /// <summary>Builds the tokenizer for a vocabulary; an unknown model name is a <see cref="TokenizerException"/>.</summary>
    public static Tokenizer Create(TokenizerVocabulary vocabulary) => vocabulary.Model switch
    {
        "llama" => new SentencePieceTokenizer(vocabulary),
        "gpt2" => new BytePairTokenizer(vocabulary),
        "bert" => new WordPieceTokenizer(vocabulary),
        _ => throw new TokenizerException($"unknown tokenizer model '{vocabulary.Model}' (supported: llama, gpt2, bert)"),
    };

    public int VocabularySize => _vocabulary.Tokens.Count;
    public int? BosId { get; }
    public int? EosId { get; }
    public int? UnknownId { get; }
    public int? PaddingId { get; }
    public bool AddBos { get; }
    public bool AddEos { get; }

    /// <summary>Tokens that end a generation: EOS, end-of-turn, end-of-message and known turn-end control tokens.</summary>
    public IReadOnlySet<int> EndOfGenerationIds { get; }

    /// <summary>Exact token text to id; a text listed twice maps to its last id.</summary>
    private protected Dictionary<string, int> TokenIds { get; }

    private protected TokenizerVocabulary Vocabulary => _vocabulary;

    /// <summary>
    /// Token ids for <paramref name="text"/>. <paramref name="addSpecial"/> adds BOS/EOS as the vocabulary asks;
    /// <paramref name="parseSpecial"/> turns control-token text (like "&lt;|im_end|&gt;") into that token.
    /// User-defined tokens are always matched as whole pieces.
    /// </summary>
    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        if (addSpecial && AddBos)
            output.Add(BosId!.Value);
        bool previousWasSpecial = true; // the start of the text counts as "after a special token"
        foreach (var fragment in _specialTokens.Split(text, parseSpecial))
        {
            if (fragment.TokenId >= 0)
            {
                output.Add(fragment.TokenId);
                previousWasSpecial = true;
            }
            else
            {
                EncodeText(text.AsSpan(fragment.Start, fragment.Length), previousWasSpecial, output);
                previousWasSpecial = false;
            }
        }
        if (addSpecial && AddEos)
            output.Add(EosId!.Value);
        return output.ToArray();
    }

    /// <summary>Encodes plain text (no special-token text in it) and appends the ids.</summary>
    private protected abstract void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output);

    /// <summary>The bytes a normal, byte or user-defined token stands for.</summary>
    private protected abstract byte[] DecodePiece(int id, string text, TokenType type);

    /// <summary>Whether decoding drops one space at the start of the text (the space the encoder added).</summary>
    private protected abstract bool StripsLeadingSpace { get; }

    /// <summary>
    /// Text of <paramref name="ids"/>. Control, unknown and unused tokens decode to nothing unless
    /// <paramref name="renderSpecial"/>; byte tokens become their byte; bytes that do not form valid UTF-8
    /// become U+FFFD. SentencePiece and WordPiece text loses the one space the encoder put in front.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool renderSpecial = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        bool atStart = true;
        foreach (int id in ids)
        {
            var piece = PieceBytes(id, renderSpecial).AsSpan();
            if (piece.IsEmpty)
                continue;
            if (atStart && StripsLeadingSpace && piece[0] == (byte)' ')
                piece = piece[1..];
            atStart = false;
            bytes.AddRange(piece);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The bytes token <paramref name="id"/> stands for; control tokens give their own text.</summary>
    public byte[] TokenBytes(int id) => (byte[])PieceBytes(id, renderSpecial: true).Clone();

    /// <summary>The raw piece as stored in the vocabulary (e.g. "▁the", "Ġthe", "&lt;0x0A&gt;").</summary>
    public string TokenText(int id)
    {
        CheckId(id);
        return _vocabulary.Tokens[id];
    }

    public TokenType TokenTypeOf(int id)
    {
        CheckId(id);
        return _vocabulary.TypeOf(id);
    }

    /// <summary>
    /// A decoder for a stream of generated ids that only ever returns whole UTF-8 characters. Pieces are
    /// emitted as they are: a continuation keeps the leading space of its first piece.
    /// </summary>
    public StreamingDecoder CreateStreamingDecoder(bool renderSpecial = false) => new(this, renderSpecial);

    internal byte[] PieceBytes(int id, bool renderSpecial)
    {
        CheckId(id);
        var cache = renderSpecial ? _renderedPieces : _pieces;
        // Benign race: two threads may build the same immutable array; either result is correct.
        return cache[id] ??= BuildPiece(id, renderSpecial);
    }

    private byte[] BuildPiece(int id, bool renderSpecial)
    {
        string text = _vocabulary.Tokens[id];
        var type = _vocabulary.TypeOf(id);
        bool isSpecial = type is TokenType.Control or TokenType.Unknown or TokenType.Unused;
        if (isSpecial)
            return renderSpecial ? Encoding.UTF8.GetBytes(text) : [];
        return DecodePiece(id, text, type);
    }

    private protected void CheckId(int id)
    {
        if ((uint)id >= (uint)VocabularySize)
            throw new TokenizerException($"token id {id} is outside the vocabulary (size {VocabularySize})");
    }

    private void RequireInVocabulary(int? id, bool required, string name)
    {
        if (id is int value && (uint)value >= (uint)VocabularySize)
            throw new TokenizerException($"{name} token id {value} is outside the vocabulary (size {VocabularySize})");
        if (required && id is null)
            throw new TokenizerException($"the vocabulary asks to add {name} but has no {name} token id");
    }

    private static Dictionary<string, int> BuildTokenIds(IReadOnlyList<string> tokens)
    {
        var ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
            ids[tokens[i]] = i;
        return ids;
    }
}

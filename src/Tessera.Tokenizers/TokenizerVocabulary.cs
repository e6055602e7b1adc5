namespace Tessera.Tokenizers;

/// <summary>
/// Everything a tokenizer needs, independent of where it was read from. Optional flags stay null
/// when the source does not say; each tokenizer model then applies its own default.
/// </summary>
public sealed record TokenizerVocabulary
{
    /// <summary>Tokenizer model name: "llama" (SentencePiece), "gpt2" (byte-level BPE) or "bert" (WordPiece).</summary>
    public required string Model { get; init; }

    /// <summary>Pre-tokenizer name for byte-level BPE ("llama-bpe", "qwen2", ...); null means "default".</summary>
    public string? PreTokenizer { get; init; }

    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>SentencePiece merge scores, one per token; null when absent (all zero).</summary>
    public IReadOnlyList<float>? Scores { get; init; }

    /// <summary>One per token; null when absent (all normal).</summary>
    public IReadOnlyList<TokenType>? Types { get; init; }

    /// <summary>BPE merges "left right", highest priority first.</summary>
    public IReadOnlyList<string>? Merges { get; init; }

    public int? BosId { get; init; }
    public int? EosId { get; init; }
    public int? UnknownId { get; init; }
    public int? PaddingId { get; init; }
    public int? SeparatorId { get; init; }
    public int? ClsId { get; init; }
    public int? EndOfTurnId { get; init; }
    public int? EndOfMessageId { get; init; }

    public bool? AddBos { get; init; }
    public bool? AddEos { get; init; }
    public bool? AddSpacePrefix { get; init; }

    internal TokenType TypeOf(int id) => Types is null ? TokenType.Normal : Types[id];

    internal float ScoreOf(int id) => Scores is null ? 0f : Scores[id];

    /// <summary>Checks array lengths agree; ids outside the vocabulary are dropped by the reader.</summary>
    internal void Validate()
    {
        if (Tokens.Count == 0)
            throw new TokenizerException("tokenizer vocabulary is empty (no tokens)");
        if (Scores is not null && Scores.Count != Tokens.Count)
            throw new TokenizerException($"tokenizer scores count {Scores.Count} differs from token count {Tokens.Count}");
        if (Types is not null && Types.Count != Tokens.Count)
            throw new TokenizerException($"tokenizer token_type count {Types.Count} differs from token count {Tokens.Count}");
    }
}

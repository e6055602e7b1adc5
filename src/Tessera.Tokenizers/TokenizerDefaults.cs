namespace Tessera.Tokenizers;

/// <summary>What a tokenizer model assumes when the vocabulary leaves an id or flag out.</summary>
internal readonly record struct TokenizerDefaults(
    int? BosId, int? EosId, int? UnknownId, int? PaddingId, bool AddBos, bool AddEos);

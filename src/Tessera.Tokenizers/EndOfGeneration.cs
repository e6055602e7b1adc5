namespace Tessera.Tokenizers;

/// <summary>Finds the tokens that end a generation in a vocabulary.</summary>
internal static class EndOfGeneration
{
    /// <summary>
    /// Turn-end markers used by common chat formats. Vocabularies often list these as control tokens
    /// without naming them in metadata, and a model emits them (not EOS) at the end of its answer.
    /// </summary>
    private static readonly HashSet<string> KnownTurnEndTexts = new(StringComparer.Ordinal)
    {
        "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|end_of_text|>", "<EOT>", "<|EOT|>", "_<EOT>", "<｜end▁of▁sentence｜>", "<|return|>", "<|call|>",
    };

    public static IReadOnlySet<int> Collect(TokenizerVocabulary vocabulary, int? eosId)
    {
        var ids = new HashSet<int>();
        foreach (int? id in new[] { eosId, vocabulary.EndOfTurnId, vocabulary.EndOfMessageId })
        {
            if (id is int value && (uint)value < (uint)vocabulary.Tokens.Count)
                ids.Add(value);
        }
        for (int id = 0; id < vocabulary.Tokens.Count; id++)
        {
            var type = vocabulary.TypeOf(id);
            if (type is TokenType.Control or TokenType.UserDefined && KnownTurnEndTexts.Contains(vocabulary.Tokens[id]))
                ids.Add(id);
        }
        return ids;
    }
}

using Tessera.Gguf;

namespace Tessera.Tokenizers;

/// <summary>
/// The one place that reads GGUF tokenizer metadata (`tokenizer.ggml.*`) into a
/// <see cref="TokenizerVocabulary"/>; format errors become <see cref="TokenizerException"/>s naming the key.
/// </summary>
internal static class GgufVocabularyReader
{
    // Tokenizer keys that GgufKeys does not list (spellings as the format defines them, "seperator" included).
    private const string EotTokenIdKey = "tokenizer.ggml.eot_token_id";
    private const string EomTokenIdKey = "tokenizer.ggml.eom_token_id";
    private const string SeparatorTokenIdKey = "tokenizer.ggml.seperator_token_id";
    private const string ClsTokenIdKey = "tokenizer.ggml.cls_token_id";
    private const string AddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";

    public static TokenizerVocabulary Read(GgufMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        try
        {
            var tokens = metadata.GetStringArray(GgufKeys.TokenizerTokens);
            return new TokenizerVocabulary
            {
                Model = metadata.GetString(GgufKeys.TokenizerModel),
                PreTokenizer = metadata.GetStringOrNull(GgufKeys.TokenizerPre),
                Tokens = tokens,
                Scores = metadata.ContainsKey(GgufKeys.TokenizerScores) ? metadata.GetFloatArray(GgufKeys.TokenizerScores) : null,
                Types = ReadTypes(metadata),
                Merges = metadata.ContainsKey(GgufKeys.TokenizerMerges) ? metadata.GetStringArray(GgufKeys.TokenizerMerges) : null,
                BosId = ReadId(metadata, GgufKeys.TokenizerBosTokenId, tokens.Length),
                EosId = ReadId(metadata, GgufKeys.TokenizerEosTokenId, tokens.Length),
                UnknownId = ReadId(metadata, GgufKeys.TokenizerUnknownTokenId, tokens.Length),
                PaddingId = ReadId(metadata, GgufKeys.TokenizerPaddingTokenId, tokens.Length),
                SeparatorId = ReadId(metadata, SeparatorTokenIdKey, tokens.Length),
                ClsId = ReadId(metadata, ClsTokenIdKey, tokens.Length),
                EndOfTurnId = ReadId(metadata, EotTokenIdKey, tokens.Length),
                EndOfMessageId = ReadId(metadata, EomTokenIdKey, tokens.Length),
                AddBos = metadata.GetBoolOrNull(GgufKeys.TokenizerAddBosToken),
                AddEos = metadata.GetBoolOrNull(GgufKeys.TokenizerAddEosToken),
                AddSpacePrefix = metadata.GetBoolOrNull(AddSpacePrefixKey),
            };
        }
        catch (GgufFormatException e)
        {
            throw new TokenizerException($"bad tokenizer metadata '{e.Field}': {e.Message}", e);
        }
    }

    private static TokenType[]? ReadTypes(GgufMetadata metadata)
    {
        if (!metadata.ContainsKey(GgufKeys.TokenizerTokenType))
            return null;
        var raw = metadata.GetInt32Array(GgufKeys.TokenizerTokenType);
        var types = new TokenType[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            types[i] = raw[i] is >= (int)TokenType.Undefined and <= (int)TokenType.Byte
                ? (TokenType)raw[i]
                : throw new TokenizerException($"bad tokenizer metadata '{GgufKeys.TokenizerTokenType}': token {i} has unknown type {raw[i]}");
        }
        return types;
    }

    /// <summary>
    /// A special-token id, or null when absent. Writers mark "none" with -1 or its uint32 form
    /// 4294967295; any other id must lie inside the vocabulary.
    /// </summary>
    private static int? ReadId(GgufMetadata metadata, string key, int vocabularySize)
    {
        long? id = metadata.GetIntegerOrNull(key);
        if (id is not long value || value < 0 || value == uint.MaxValue)
            return null;
        return value < vocabularySize
            ? (int)value
            : throw new TokenizerException($"bad tokenizer metadata '{key}': token id {value} is outside the vocabulary (size {vocabularySize})");
    }
}

using Tessera.Gguf;

namespace Tessera.Models.Loading;

/// <summary>
/// Reads the common transformer keys (`{arch}.block_count`, ...) and checks they are consistent with each other.
/// A missing required key or a contradiction throws <see cref="ModelException"/> naming the key.
/// </summary>
public static class HyperparameterReader
{
    /// <summary>Largest layer/head/width count accepted; far above any published model, it keeps a corrupt
    /// header from sizing absurd buffers.</summary>
    private const int MaxDimension = 1 << 20;

    /// <param name="vocabularySize">rows of token_embd (the authority when `{arch}.vocab_size` is absent)</param>
    public static Hyperparameters Read(GgufMetadata metadata, string architecture, int vocabularySize, bool moe)
    {
        string Key(string format) => GgufKeys.ForArch(format, architecture);
        int Required(string format) => Positive(metadata, Key(format), Int(metadata, Key(format)) ?? throw Missing(Key(format)));
        int? Optional(string format) => Int(metadata, Key(format)) is { } v ? Positive(metadata, Key(format), v) : null;

        int embedding = Required(GgufKeys.EmbeddingLength);
        int heads = Required(GgufKeys.HeadCount);
        int kvHeads = Optional(GgufKeys.HeadCountKv) ?? heads;
        if (heads % kvHeads != 0)
            throw new ModelException($"{Key(GgufKeys.HeadCountKv)} = {kvHeads} does not divide {Key(GgufKeys.HeadCount)} = {heads}");
        int? keyLength = Optional(GgufKeys.KeyLength);
        if (keyLength is null && embedding % heads != 0)
            throw new ModelException($"{Key(GgufKeys.HeadCount)} = {heads} does not divide {Key(GgufKeys.EmbeddingLength)} = {embedding}");
        int headDim = keyLength ?? embedding / heads;
        int valueLength = Optional(GgufKeys.ValueLength) ?? headDim;
        if (valueLength != headDim)
            throw new ModelException($"{Key(GgufKeys.ValueLength)} = {valueLength} differs from the key length {headDim}, which is not supported");
        int ropeDims = Optional(GgufKeys.RopeDimensionCount) ?? headDim;
        if (ropeDims > headDim || ropeDims % 2 != 0)
            throw new ModelException($"{Key(GgufKeys.RopeDimensionCount)} = {ropeDims} must be even and at most the head dimension {headDim}");
        int? declaredVocab = Optional(GgufKeys.VocabSize);
        if (declaredVocab is { } v && v != vocabularySize)
            throw new ModelException($"{Key(GgufKeys.VocabSize)} = {v} does not match the {vocabularySize} rows of {TensorNames.TokenEmbedding}");

        int experts = moe ? Required(GgufKeys.ExpertCount) : Optional(GgufKeys.ExpertCount) ?? 0;
        int expertsUsed = experts > 0 ? Required(GgufKeys.ExpertUsedCount) : 0;
        if (expertsUsed > experts)
            throw new ModelException($"{Key(GgufKeys.ExpertUsedCount)} = {expertsUsed} exceeds {Key(GgufKeys.ExpertCount)} = {experts}");
        int feedForward = experts > 0 ? Optional(GgufKeys.FeedForwardLength) ?? 0 : Required(GgufKeys.FeedForwardLength);
        int expertFeedForward = experts > 0 ? Optional(GgufKeys.ExpertFeedForwardLength) ?? feedForward : 0;
        if (experts > 0 && expertFeedForward == 0)
            throw Missing(Key(GgufKeys.ExpertFeedForwardLength));

        return new Hyperparameters
        {
            Architecture = architecture,
            VocabularySize = vocabularySize,
            ContextLength = Optional(GgufKeys.ContextLength) ?? 2048,
            EmbeddingLength = embedding,
            LayerCount = Required(GgufKeys.BlockCount),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            HeadDim = headDim,
            FeedForwardLength = feedForward,
            RmsEpsilon = metadata.GetFloatOrNull(Key(GgufKeys.LayerNormRmsEpsilon)) ?? throw Missing(Key(GgufKeys.LayerNormRmsEpsilon)),
            RopeFrequencyBase = metadata.GetFloatOrNull(Key(GgufKeys.RopeFreqBase)) ?? 10000f,
            RopeDimensions = ropeDims,
            ExpertCount = experts,
            ExpertUsedCount = expertsUsed,
            ExpertFeedForwardLength = expertFeedForward,
        };
    }

    /// <summary>Checks that the tokenizer's special ids (when present) are rows of the embedding.</summary>
    public static void CheckSpecialTokens(GgufMetadata metadata, int vocabularySize)
    {
        foreach (string key in new[] { GgufKeys.TokenizerBosTokenId, GgufKeys.TokenizerEosTokenId, GgufKeys.TokenizerUnknownTokenId })
        {
            long? id = metadata.GetIntegerOrNull(key);
            if (id is { } value && (value < 0 || value >= vocabularySize))
                throw new ModelException($"{key} = {value} is outside the vocabulary of {vocabularySize} tokens");
        }
    }

    /// <summary>`{arch}.pooling_type` when present; a value we cannot pool by (rank, unknown) names the key.</summary>
    public static PoolingType? ReadPooling(GgufMetadata metadata, string architecture)
    {
        string key = GgufKeys.ForArch(GgufKeys.PoolingType, architecture);
        long? value = metadata.GetIntegerOrNull(key);
        return value switch
        {
            null => null,
            >= 0 and <= 3 => (PoolingType)value.Value,
            4 => throw new ModelException($"{key} = 4 (rank) is a reranker's pooling, which is not supported"),
            _ => throw new ModelException($"{key} = {value} is not a known pooling type (0 none, 1 mean, 2 cls, 3 last)"),
        };
    }

    /// <summary>A positive dimension (count or width) that must be present.</summary>
    public static int RequiredDimension(GgufMetadata metadata, string key) =>
        Positive(metadata, key, Int(metadata, key) ?? throw Missing(key));

    /// <summary>A positive dimension, or null when the key is absent.</summary>
    public static int? OptionalDimension(GgufMetadata metadata, string key) =>
        Int(metadata, key) is { } value ? Positive(metadata, key, value) : null;

    private static int? Int(GgufMetadata metadata, string key)
    {
        long? value = metadata.GetIntegerOrNull(key);
        if (value is null)
            return null;
        if (value > MaxDimension || value < 0)
            throw new ModelException($"{key} = {value} is outside 0..{MaxDimension}");
        return (int)value.Value;
    }

    private static int Positive(GgufMetadata metadata, string key, int value) =>
        value > 0 ? value : throw new ModelException($"{key} = {value} must be positive");

    private static ModelException Missing(string key) => new($"required key {key} is missing");
}

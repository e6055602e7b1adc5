using System.Globalization;

namespace Tessera.Gguf;

/// <summary>
/// GGUF metadata key strings. Per-architecture keys are format strings with the architecture name
/// as {0}; fill them with <see cref="ForArch"/>, e.g. <c>GgufKeys.ForArch(GgufKeys.BlockCount, "llama")</c>.
/// </summary>
public static class GgufKeys
{
    // General
    public const string Architecture = "general.architecture";
    public const string Alignment = "general.alignment";
    public const string Name = "general.name";
    public const string FileType = "general.file_type";
    public const string QuantizationVersion = "general.quantization_version";

    // Tokenizer
    public const string TokenizerModel = "tokenizer.ggml.model";
    public const string TokenizerPre = "tokenizer.ggml.pre";
    public const string TokenizerTokens = "tokenizer.ggml.tokens";
    public const string TokenizerScores = "tokenizer.ggml.scores";
    public const string TokenizerTokenType = "tokenizer.ggml.token_type";
    public const string TokenizerMerges = "tokenizer.ggml.merges";
    public const string TokenizerBosTokenId = "tokenizer.ggml.bos_token_id";
    public const string TokenizerEosTokenId = "tokenizer.ggml.eos_token_id";
    public const string TokenizerUnknownTokenId = "tokenizer.ggml.unknown_token_id";
    public const string TokenizerPaddingTokenId = "tokenizer.ggml.padding_token_id";
    public const string TokenizerAddBosToken = "tokenizer.ggml.add_bos_token";
    public const string TokenizerAddEosToken = "tokenizer.ggml.add_eos_token";
    public const string TokenizerTokenTypeCount = "tokenizer.ggml.token_type_count";
    public const string ChatTemplate = "tokenizer.chat_template";

    // Split files
    public const string SplitNo = "split.no";
    public const string SplitCount = "split.count";
    public const string SplitTensorsCount = "split.tensors.count";

    // Per architecture: {0} is the value of general.architecture
    public const string ContextLength = "{0}.context_length";
    public const string EmbeddingLength = "{0}.embedding_length";
    public const string BlockCount = "{0}.block_count";
    public const string FeedForwardLength = "{0}.feed_forward_length";
    public const string HeadCount = "{0}.attention.head_count";
    public const string HeadCountKv = "{0}.attention.head_count_kv";
    public const string LayerNormRmsEpsilon = "{0}.attention.layer_norm_rms_epsilon";
    public const string KeyLength = "{0}.attention.key_length";
    public const string ValueLength = "{0}.attention.value_length";
    public const string RopeFreqBase = "{0}.rope.freq_base";
    public const string RopeDimensionCount = "{0}.rope.dimension_count";
    public const string ExpertCount = "{0}.expert_count";
    public const string ExpertUsedCount = "{0}.expert_used_count";
    public const string ExpertFeedForwardLength = "{0}.expert_feed_forward_length";
    public const string VocabSize = "{0}.vocab_size";
    public const string LayerNormEpsilon = "{0}.attention.layer_norm_epsilon";
    public const string AttentionCausal = "{0}.attention.causal";
    public const string PoolingType = "{0}.pooling_type";

    /// <summary>Fills a per-architecture key format: ForArch(BlockCount, "llama") is "llama.block_count".</summary>
    public static string ForArch(string keyFormat, string architecture) =>
        string.Format(CultureInfo.InvariantCulture, keyFormat, architecture);
}

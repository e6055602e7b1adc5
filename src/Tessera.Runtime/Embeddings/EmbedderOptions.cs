using Tessera.Models;

namespace Tessera.Runtime.Embeddings;

/// <summary>How an <see cref="Embedder"/> runs its model.</summary>
public sealed record EmbedderOptions
{
    /// <summary>Pooling to use instead of the model's (null: `{arch}.pooling_type`, else mean for encoders and the last
    /// token for decoders; <see cref="PoolingType.None"/> pools by mean).</summary>
    public PoolingType? Pooling { get; init; }

    /// <summary>Scale each vector to unit L2 norm (what OpenAI's API returns).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Kernel threads (0 = physical cores) when the embedder makes its own pool.</summary>
    public int Threads { get; init; }

    /// <summary>Decoders: the longest input in tokens (0 = the model's context, at most <see cref="DefaultDecoderContextCap"/>).
    /// Encoders always take their trained context (their learned positions).</summary>
    public int ContextSize { get; init; }

    /// <summary>Decoders: most tokens per forward pass; longer inputs are evaluated in chunks.</summary>
    public int BatchSize { get; init; } = ContextOptions.DefaultBatchSize;

    /// <summary>Decoders: inputs evaluated together in one pass (KV cache sequences).</summary>
    public int SequenceCount { get; init; } = 4;

    /// <summary>Decoders trained on long contexts would otherwise reserve a large KV cache for embeddings.</summary>
    public const int DefaultDecoderContextCap = 4096;
}

namespace Tessera.Models;

/// <summary>The numbers that fix a decoder-only transformer's shapes, as read from GGUF keys.</summary>
public sealed record Hyperparameters
{
    public required string Architecture { get; init; }
    public required int VocabularySize { get; init; }
    public required int ContextLength { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KvHeadCount { get; init; }
    public required int HeadDim { get; init; }

    /// <summary>Feed-forward width of a dense layer (0 in MoE models).</summary>
    public required int FeedForwardLength { get; init; }

    public required float RmsEpsilon { get; init; }
    public required float RopeFrequencyBase { get; init; }

    /// <summary>Dimensions of each head that RoPE rotates.</summary>
    public required int RopeDimensions { get; init; }

    /// <summary>Experts per MoE layer; 0 for dense models.</summary>
    public int ExpertCount { get; init; }

    /// <summary>Experts each token is routed to.</summary>
    public int ExpertUsedCount { get; init; }

    /// <summary>Feed-forward width of one expert.</summary>
    public int ExpertFeedForwardLength { get; init; }

    public bool IsMixtureOfExperts => ExpertCount > 0;

    /// <summary>Width of all query heads together.</summary>
    public int QueryLength => HeadCount * HeadDim;

    /// <summary>Width of all key (or value) heads together.</summary>
    public int KvLength => KvHeadCount * HeadDim;
}

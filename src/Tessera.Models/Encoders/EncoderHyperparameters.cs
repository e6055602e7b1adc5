namespace Tessera.Models.Encoders;

/// <summary>The numbers that fix a BERT-style encoder's shapes, as read from GGUF keys.</summary>
public sealed record EncoderHyperparameters
{
    public required string Architecture { get; init; }
    public required int VocabularySize { get; init; }

    /// <summary>Learned positions (rows of position_embd): the longest sequence the encoder takes.</summary>
    public required int ContextLength { get; init; }

    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int HeadDim { get; init; }
    public required int FeedForwardLength { get; init; }
    public required float LayerNormEpsilon { get; init; }

    /// <summary>How the model's card says sequence vectors are formed.</summary>
    public required PoolingType Pooling { get; init; }
}

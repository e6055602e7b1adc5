using Tessera.Models;

namespace Tessera.Runtime.Embeddings;

/// <summary>
/// What the embedder needs from a model: the last hidden states of chosen tokens of a batch. Encoders see each sequence
/// whole in one batch; decoders may see a long one in consecutive chunks (their KV cache holds the earlier ones).
/// </summary>
internal interface IHiddenStates : IDisposable
{
    /// <summary>Width of a hidden state (n_embd).</summary>
    int Dimensions { get; }

    /// <summary>Longest input in tokens.</summary>
    int MaxSequenceTokens { get; }

    /// <summary>Most tokens per batch.</summary>
    int BatchCapacity { get; }

    /// <summary>Most sequences per batch (sequence ids 0..MaxSequences-1).</summary>
    int MaxSequences { get; }

    /// <summary>Whether an input longer than <see cref="BatchCapacity"/> may be given in chunks (causal models only).</summary>
    bool CanChunk { get; }

    PoolingType DefaultPooling { get; }

    /// <summary>Writes the hidden states of the tokens marked as wanting output, in batch order, to
    /// <paramref name="hidden"/> [batch.LogitCount, n_embd].</summary>
    void Run(TokenBatch batch, Span<float> hidden);
}

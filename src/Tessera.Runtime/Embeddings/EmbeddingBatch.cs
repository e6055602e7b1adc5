namespace Tessera.Runtime.Embeddings;

/// <summary>
/// The result of one <see cref="Embedder.Embed(IReadOnlyList{string}, CancellationToken)"/> call: per input, in input
/// order, its pooled vector [n_embd] (L2-normalised unless the options say otherwise) and how many tokens it had.
/// </summary>
public sealed record EmbeddingBatch(IReadOnlyList<float[]> Embeddings, IReadOnlyList<int> TokenCounts)
{
    public int Count => Embeddings.Count;

    /// <summary>Tokens of all inputs together (the "prompt_tokens" of an OpenAI usage).</summary>
    public int TotalTokens => TokenCounts.Sum();
}

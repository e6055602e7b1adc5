namespace Tessera.Runtime.Embeddings;

/// <summary>
/// An input the embedder cannot take: empty, longer than the model's context, or holding a token id outside the
/// vocabulary. <see cref="Index"/> says which input; servers answer it as a 400.
/// </summary>
public sealed class EmbeddingInputException(int index, string message, bool tooLong = false) : Exception(message)
{
    /// <summary>The input has more tokens than the model takes (rather than being malformed).</summary>
    public bool TooLong { get; } = tooLong;

    /// <summary>Position of the offending input in the list given to the embedder.</summary>
    public int Index { get; } = index;
}

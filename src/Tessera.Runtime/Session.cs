namespace Tessera.Runtime;

/// <summary>
/// One sequence in an <see cref="InferenceContext"/>: the tokens it holds (their keys and values are in the cache)
/// and the logits predicting the next token. Append evaluates new tokens after the existing ones; Rewind forgets
/// tokens past a length so generation can resume from there (e.g. a shared prompt prefix) without recomputing it.
/// </summary>
public sealed class Session : IDisposable
{
    private readonly InferenceContext _context;
    private readonly List<int> _tokens = [];
    private readonly float[] _logits;
    private bool _disposed;

    internal Session(InferenceContext context, int sequenceId)
    {
        _context = context;
        SequenceId = sequenceId;
        _logits = new float[context.VocabularySize];
    }

    public int SequenceId { get; }

    /// <summary>Tokens held (= the position of the next token).</summary>
    public int Length => _tokens.Count;

    /// <summary>Tokens that still fit.</summary>
    public int Remaining => _context.ContextSize - Length;

    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>Logits [n_vocab] predicting the token after the last one; empty while the session holds nothing.</summary>
    public ReadOnlySpan<float> Logits => Length == 0 ? ReadOnlySpan<float>.Empty : _logits;

    /// <summary>Evaluates <paramref name="tokens"/> after the current ones.</summary>
    public void Append(ReadOnlySpan<int> tokens) => Append(tokens, Span<float>.Empty);

    /// <summary>Appends one token (a decode step).</summary>
    public void Append(int token) => Append([token], Span<float>.Empty);

    /// <summary>
    /// Evaluates <paramref name="tokens"/> after the current ones; when <paramref name="allLogits"/> is not empty it
    /// receives the logits of the appended tokens from index <paramref name="firstWithLogits"/> on
    /// [tokens - firstWithLogits, n_vocab] (used to score text; skipping unscored tokens skips their output projection).
    /// </summary>
    public void Append(ReadOnlySpan<int> tokens, Span<float> allLogits, int firstWithLogits = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens.IsEmpty)
            return;
        if (tokens.Length > Remaining)
            throw new ContextFullException($"{tokens.Length} tokens do not fit: the context holds {_context.ContextSize} and {Length} are used");
        int vocab = _context.VocabularySize;
        if (firstWithLogits < 0 || firstWithLogits >= tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(firstWithLogits), firstWithLogits, $"must be an index into the {tokens.Length} tokens");
        int withLogits = tokens.Length - firstWithLogits;
        if (!allLogits.IsEmpty && allLogits.Length < (long)withLogits * vocab)
            throw new ArgumentException($"logits hold {allLogits.Length} values, need {withLogits} x {vocab}", nameof(allLogits));
        _context.Evaluate(SequenceId, tokens, Length, _logits, allLogits, firstWithLogits);
        if (!allLogits.IsEmpty)
            allLogits.Slice((withLogits - 1) * vocab, vocab).CopyTo(_logits);
        _tokens.AddRange(tokens);
    }

    /// <summary>Keeps the first <paramref name="length"/> tokens. The logits are recomputed for the new last token.</summary>
    public void Rewind(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length < 0 || length > Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"the session holds {Length} tokens");
        if (length == Length)
            return;
        if (length == 0)
        {
            _tokens.Clear();
            return;
        }
        // The cache keeps positions below length; re-evaluating the last kept token rewrites its own cell and yields its logits.
        int last = _tokens[length - 1];
        _tokens.RemoveRange(length - 1, _tokens.Count - length + 1);
        Append(last);
    }

    /// <summary>Forgets every token.</summary>
    public void Clear() => Rewind(0);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _context.Release(SequenceId);
    }
}

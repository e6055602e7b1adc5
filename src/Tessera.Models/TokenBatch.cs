namespace Tessera.Models;

/// <summary>
/// Tokens for one forward pass, from one or more sequences: per token its id, position and sequence id, and whether
/// its logits are wanted. Tokens of one sequence must be contiguous with consecutive positions (the runtime builds
/// batches that way). Fixed capacity, reused between steps so decoding allocates nothing.
/// </summary>
public sealed class TokenBatch
{
    private readonly int[] _tokens;
    private readonly int[] _positions;
    private readonly int[] _sequenceIds;
    private readonly bool[] _wantsLogits;
    private readonly int[] _runStarts;

    public TokenBatch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _tokens = new int[capacity];
        _positions = new int[capacity];
        _sequenceIds = new int[capacity];
        _wantsLogits = new bool[capacity];
        _runStarts = new int[capacity];
    }

    public int Capacity => _tokens.Length;
    public int Count { get; private set; }

    /// <summary>Tokens whose logits the forward writes, in batch order.</summary>
    public int LogitCount { get; private set; }

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Count);
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Count);
    public ReadOnlySpan<int> SequenceIds => _sequenceIds.AsSpan(0, Count);
    public ReadOnlySpan<bool> WantsLogits => _wantsLogits.AsSpan(0, Count);

    /// <summary>Runs of consecutive tokens of one sequence (what attention and the KV cache work on).</summary>
    public int RunCount { get; private set; }

    /// <summary>Batch indexes [Start, End) of run <paramref name="run"/>.</summary>
    public (int Start, int End) Run(int run) => (_runStarts[run], run + 1 < RunCount ? _runStarts[run + 1] : Count);

    public void Clear()
    {
        Count = 0;
        LogitCount = 0;
        RunCount = 0;
    }

    public void Add(int token, int position, int sequenceId, bool wantsLogits)
    {
        if (Count == Capacity)
            throw new InvalidOperationException($"batch is full ({Capacity} tokens)");
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(sequenceId);
        if (Count == 0 || _sequenceIds[Count - 1] != sequenceId)
            _runStarts[RunCount++] = Count;
        _tokens[Count] = token;
        _positions[Count] = position;
        _sequenceIds[Count] = sequenceId;
        _wantsLogits[Count] = wantsLogits;
        Count++;
        if (wantsLogits)
            LogitCount++;
    }
}

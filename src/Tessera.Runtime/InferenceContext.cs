using Tessera.Kernels.Threading;
using Tessera.Models;

namespace Tessera.Runtime;

/// <summary>
/// Runs a model: owns the KV cache for <see cref="ContextOptions.SequenceCount"/> sequences, the kernel thread pool and
/// the activation scratch. Prompts are processed in chunks of <see cref="BatchSize"/> tokens through the matrix-matrix
/// kernels, single decode steps through the matrix-vector kernels. Sessions (<see cref="CreateSession"/>) each own one
/// sequence. One forward at a time: calls are serialised.
/// </summary>
public sealed class InferenceContext : IDisposable
{
    private readonly ForwardScratch _scratch;
    private readonly TokenBatch _batch;
    private readonly bool[] _sequenceInUse;
    private readonly object _gate = new();
    private readonly bool _ownsPool;

    public InferenceContext(TransformerModel model, ContextOptions? options = null, KernelThreadPool? pool = null)
    {
        options ??= new ContextOptions();
        Model = model;
        var hp = model.Hyperparameters;
        ContextSize = options.ContextSize == 0 ? hp.ContextLength : options.ContextSize;
        ArgumentOutOfRangeException.ThrowIfNegative(ContextSize, nameof(options.ContextSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options.BatchSize));
        BatchSize = Math.Min(options.BatchSize, ContextSize);
        Cache = new KvCache(hp, ContextSize, options.SequenceCount, options.KvCacheType);
        _ownsPool = pool is null;
        Pool = pool ?? new KernelThreadPool(options.Threads);
        _scratch = model.CreateScratch(BatchSize);
        _batch = new TokenBatch(BatchSize);
        _sequenceInUse = new bool[options.SequenceCount];
    }

    public TransformerModel Model { get; }
    public KvCache Cache { get; }
    public KernelThreadPool Pool { get; }

    /// <summary>Positions per sequence.</summary>
    public int ContextSize { get; }

    /// <summary>Most tokens per forward pass.</summary>
    public int BatchSize { get; }

    public int VocabularySize => Model.VocabularySize;

    /// <summary>A session on a free sequence of the cache.</summary>
    public Session CreateSession()
    {
        lock (_gate)
        {
            int free = Array.IndexOf(_sequenceInUse, false);
            if (free < 0)
                throw new InvalidOperationException($"all {_sequenceInUse.Length} sequences of the context are in use");
            _sequenceInUse[free] = true;
            return new Session(this, free);
        }
    }

    internal void Release(int sequenceId)
    {
        lock (_gate)
            _sequenceInUse[sequenceId] = false;
    }

    /// <summary>One forward over a batch of at most <see cref="BatchSize"/> tokens from any live sequences;
    /// logits [batch.LogitCount, n_vocab] in batch order.</summary>
    public void Forward(TokenBatch batch, Span<float> logits)
    {
        lock (_gate)
            Model.Forward(batch, Cache, _scratch, logits, Pool);
    }

    /// <summary>
    /// Evaluates <paramref name="tokens"/> of one sequence at positions start.. in chunks. Writes the logits of the last
    /// token to <paramref name="lastLogits"/> [n_vocab] or, when <paramref name="allLogits"/> is not empty, of every token
    /// from index <paramref name="firstWithLogits"/> on there [tokens - firstWithLogits, n_vocab].
    /// </summary>
    internal void Evaluate(int sequenceId, ReadOnlySpan<int> tokens, int start, Span<float> lastLogits, Span<float> allLogits, int firstWithLogits)
    {
        int vocab = VocabularySize;
        bool every = !allLogits.IsEmpty;
        int written = 0;
        lock (_gate)
        {
            for (int offset = 0; offset < tokens.Length; offset += BatchSize)
            {
                int count = Math.Min(BatchSize, tokens.Length - offset);
                _batch.Clear();
                for (int i = 0; i < count; i++)
                {
                    int index = offset + i;
                    _batch.Add(tokens[index], start + index, sequenceId, every ? index >= firstWithLogits : index == tokens.Length - 1);
                }
                var target = _batch.LogitCount == 0 ? Span<float>.Empty
                    : every ? allLogits.Slice(written * vocab, _batch.LogitCount * vocab)
                    : lastLogits;
                Model.Forward(_batch, Cache, _scratch, target, Pool);
                written += _batch.LogitCount;
            }
        }
    }

    public void Dispose()
    {
        Cache.Dispose();
        if (_ownsPool)
            Pool.Dispose();
    }
}

using System.Numerics.Tensors;
using Tessera.Gguf;
using Tessera.Kernels.Threading;
using Tessera.Models;
using Tessera.Models.Encoders;
using Tessera.Tokenizers;

namespace Tessera.Runtime.Embeddings;

/// <summary>
/// Turns texts into sentence vectors with an encoder (BERT: pooling from its `pooling_type`) or a decoder (final-normed
/// hidden state of the last token, or the mean over tokens). Inputs are packed several to a forward pass, each its own
/// sequence, so a batch gives the same vectors as one input at a time (up to float rounding). Thread-safe: calls are
/// serialised by a lock (one forward at a time on the embedder's kernel pool).
/// </summary>
public sealed class Embedder : IDisposable
{
    private readonly IHiddenStates _states;
    private readonly KernelThreadPool _pool;
    private readonly bool _ownsPool;
    private readonly IDisposable? _ownedModel;
    private readonly TokenBatch _batch;
    private readonly float[] _hidden;       // [batch capacity, n_embd] wanted rows of one pass
    private readonly bool _normalize;
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>An embedder over an encoder; the model stays the caller's.</summary>
    public Embedder(EncoderModel model, Tokenizer tokenizer, EmbedderOptions? options = null, KernelThreadPool? pool = null)
        : this(tokenizer, options ?? new(), pool, null, p => new EncoderHiddenStates(model, p, (options ?? new()).BatchSize), model.Hyperparameters.Architecture)
    {
    }

    /// <summary>An embedder over a decoder (its own CPU KV cache of <see cref="EmbedderOptions.ContextSize"/>); the model stays the caller's.</summary>
    public Embedder(TransformerModel model, Tokenizer tokenizer, EmbedderOptions? options = null, KernelThreadPool? pool = null)
        : this(tokenizer, options ?? new(), pool, null, p => new DecoderHiddenStates(model, p, options ?? new()), model.Hyperparameters.Architecture)
    {
    }

    private Embedder(Tokenizer tokenizer, EmbedderOptions options, KernelThreadPool? pool, IDisposable? ownedModel,
        Func<KernelThreadPool, IHiddenStates> states, string architecture)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
        Architecture = architecture;
        _normalize = options.Normalize;
        _ownsPool = pool is null;
        _pool = pool ?? new KernelThreadPool(options.Threads);
        try
        {
            _states = states(_pool);
        }
        catch
        {
            if (_ownsPool)
                _pool.Dispose();
            throw;
        }
        _ownedModel = ownedModel;
        var pooling = options.Pooling ?? _states.DefaultPooling;
        Pooling = pooling == PoolingType.None ? PoolingType.Mean : pooling;
        _batch = new TokenBatch(_states.BatchCapacity);
        _hidden = new float[_states.BatchCapacity * _states.Dimensions];
    }

    /// <summary>Opens a GGUF model (encoder or decoder) with its own tokenizer; the embedder owns and disposes it.</summary>
    public static Embedder Open(string path, EmbedderOptions? options = null, GgufLoadMode mode = GgufLoadMode.Map)
    {
        var file = GgufFile.Open(path, mode);
        IDisposable? model = null;
        try
        {
            if (ModelLoader.IsEncoder(file))
            {
                var encoder = ModelLoader.LoadEncoder(file);
                model = encoder;
                return new Embedder(encoder, ModelTokenizer.For(encoder), options, null, encoder);
            }
            var decoder = ModelLoader.Load(file);
            model = decoder;
            return new Embedder(decoder, ModelTokenizer.For(decoder), options, null, decoder);
        }
        catch
        {
            if (model is null)
                file.Dispose();
            else
                model.Dispose();
            throw;
        }
    }

    private Embedder(EncoderModel model, Tokenizer tokenizer, EmbedderOptions? options, KernelThreadPool? pool, IDisposable owned)
        : this(tokenizer, options ?? new(), pool, owned, p => new EncoderHiddenStates(model, p, (options ?? new()).BatchSize), model.Hyperparameters.Architecture)
    {
    }

    private Embedder(TransformerModel model, Tokenizer tokenizer, EmbedderOptions? options, KernelThreadPool? pool, IDisposable owned)
        : this(tokenizer, options ?? new(), pool, owned, p => new DecoderHiddenStates(model, p, options ?? new()), model.Hyperparameters.Architecture)
    {
    }

    public Tokenizer Tokenizer { get; }

    /// <summary>`general.architecture` of the model.</summary>
    public string Architecture { get; }

    /// <summary>Length of every vector (n_embd).</summary>
    public int Dimensions => _states.Dimensions;

    /// <summary>Longest input in tokens (special tokens included).</summary>
    public int MaxInputTokens => _states.MaxSequenceTokens;

    /// <summary>How token states are pooled (never <see cref="PoolingType.None"/>).</summary>
    public PoolingType Pooling { get; }

    /// <summary>The token ids an input text becomes (with the special tokens the vocabulary adds, e.g. [CLS] .. [SEP]).</summary>
    public int[] Tokenize(string text) => Tokenizer.Encode(text, addSpecial: true, parseSpecial: false);

    /// <summary>One vector per text, in order. A text that is empty or too long throws <see cref="EmbeddingInputException"/>.</summary>
    public EmbeddingBatch Embed(IReadOnlyList<string> texts, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokens = new int[texts.Count][];
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = Tokenize(texts[i] ?? throw new EmbeddingInputException(i, $"input {i} is null"));
        return Embed(tokens, cancellation);
    }

    /// <summary>One vector per token sequence (used as given: no special tokens are added).</summary>
    public EmbeddingBatch Embed(IReadOnlyList<int[]> inputs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Count; i++)
            Check(i, inputs[i]);
        var sums = new float[inputs.Count][];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int next = 0;
            while (next < inputs.Count)
            {
                cancellation.ThrowIfCancellationRequested();
                if (inputs[next].Length > _batch.Capacity)
                    RunChunked(inputs[next], sums[next++] = new float[Dimensions], cancellation);
                else
                    next = RunPacked(inputs, next, sums);
            }
        }
        for (int i = 0; i < sums.Length; i++)
            Finish(sums[i], Pooling == PoolingType.Mean ? inputs[i].Length : 1);
        return new EmbeddingBatch(sums, inputs.Select(input => input.Length).ToArray());
    }

    /// <summary>Inputs first.. that fit one pass together; returns the index after the last one taken.</summary>
    private int RunPacked(IReadOnlyList<int[]> inputs, int first, float[][] sums)
    {
        _batch.Clear();
        int end = first;
        while (end < inputs.Count && end - first < _states.MaxSequences && _batch.Count + inputs[end].Length <= _batch.Capacity)
        {
            var tokens = inputs[end];
            for (int p = 0; p < tokens.Length; p++)
                _batch.Add(tokens[p], p, end - first, Wanted(p, tokens.Length));
            end++;
        }
        _states.Run(_batch, _hidden);
        int row = 0;
        for (int i = first; i < end; i++)
        {
            var sum = sums[i] = new float[Dimensions];
            for (int p = 0; p < inputs[i].Length; p++)
            {
                if (Wanted(p, inputs[i].Length))
                    Accumulate(sum, row++);
            }
        }
        return end;
    }

    /// <summary>A decoder input longer than one pass: consecutive chunks of sequence 0, the cache holding the earlier ones.</summary>
    private void RunChunked(int[] tokens, float[] sum, CancellationToken cancellation)
    {
        for (int start = 0; start < tokens.Length; start += _batch.Capacity)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(_batch.Capacity, tokens.Length - start);
            _batch.Clear();
            for (int i = 0; i < count; i++)
                _batch.Add(tokens[start + i], start + i, 0, Wanted(start + i, tokens.Length));
            _states.Run(_batch, _hidden);
            for (int row = 0; row < _batch.LogitCount; row++)
                Accumulate(sum, row);
        }
    }

    /// <summary>Whether position <paramref name="position"/> of an input of <paramref name="length"/> tokens is pooled.</summary>
    private bool Wanted(int position, int length) => Pooling switch
    {
        PoolingType.Cls => position == 0,
        PoolingType.Last => position == length - 1,
        _ => true,
    };

    private void Accumulate(float[] sum, int row) => TensorPrimitives.Add(sum, _hidden.AsSpan(row * Dimensions, Dimensions), sum);

    /// <summary>Mean of the pooled rows, then unit length (a zero vector stays zero).</summary>
    private void Finish(float[] sum, int rows)
    {
        if (rows > 1)
            TensorPrimitives.Divide(sum, rows, sum);
        if (!_normalize)
            return;
        float norm = TensorPrimitives.Norm(sum);
        if (norm > 0)
            TensorPrimitives.Divide(sum, norm, sum);
    }

    private void Check(int index, int[]? tokens)
    {
        if (tokens is null)
            throw new EmbeddingInputException(index, $"input {index} is null");
        if (tokens.Length == 0)
            throw new EmbeddingInputException(index, $"input {index} is empty");
        if (tokens.Length > MaxInputTokens)
            throw new EmbeddingInputException(index, $"input {index} has {tokens.Length} tokens; the model takes at most {MaxInputTokens}", tooLong: true);
        if (!_states.CanChunk && tokens.Length > _batch.Capacity)
            throw new EmbeddingInputException(index, $"input {index} has {tokens.Length} tokens; one pass holds at most {_batch.Capacity}", tooLong: true);
        foreach (int id in tokens)
        {
            if (id < 0 || id >= Tokenizer.VocabularySize)
                throw new EmbeddingInputException(index, $"input {index} holds token id {id}, outside the vocabulary of {Tokenizer.VocabularySize} tokens");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _states.Dispose();
            if (_ownsPool)
                _pool.Dispose();
            _ownedModel?.Dispose();
        }
    }
}

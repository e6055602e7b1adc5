using Tessera.Kernels.Threading;
using Tessera.Models;
using Tessera.Models.Encoders;

namespace Tessera.Runtime.Embeddings;

/// <summary>An encoder's last hidden states: each input whole in one pass, several inputs per pass.</summary>
internal sealed class EncoderHiddenStates : IHiddenStates
{
    /// <summary>Inputs per pass: short inputs pack densely; attention stays within each.</summary>
    private const int SequencesPerBatch = 64;

    private readonly EncoderModel _model;
    private readonly KernelThreadPool _pool;
    private readonly EncoderScratch _scratch;
    private readonly float[] _all;          // [batch capacity, n_embd] every token's state before the wanted rows are picked

    public EncoderHiddenStates(EncoderModel model, KernelThreadPool pool, int batchSize)
    {
        _model = model;
        _pool = pool;
        var hp = model.Hyperparameters;
        // A batch must hold the longest input whole.
        BatchCapacity = Math.Max(hp.ContextLength, batchSize);
        _scratch = model.CreateScratch(BatchCapacity);
        _all = new float[BatchCapacity * hp.EmbeddingLength];
    }

    public int Dimensions => _model.Hyperparameters.EmbeddingLength;
    public int MaxSequenceTokens => _model.Hyperparameters.ContextLength;
    public int BatchCapacity { get; }
    public int MaxSequences => SequencesPerBatch;
    public bool CanChunk => false;
    public PoolingType DefaultPooling => _model.Hyperparameters.Pooling;

    public void Run(TokenBatch batch, Span<float> hidden)
    {
        int embd = Dimensions;
        _model.Forward(batch, _scratch, _pool, _all);
        int row = 0;
        for (int t = 0; t < batch.Count; t++)
        {
            if (batch.WantsLogits[t])
                _all.AsSpan(t * embd, embd).CopyTo(hidden.Slice(row++ * embd, embd));
        }
    }

    public void Dispose()
    {
    }
}

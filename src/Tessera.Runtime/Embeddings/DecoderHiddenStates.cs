using Tessera.Devices.Cpu;
using Tessera.Kernels.Threading;
using Tessera.Models;
using Tessera.Models.Loading;
using Tessera.Models.Placement;
using Tessera.Tensors;

namespace Tessera.Runtime.Embeddings;

/// <summary>
/// A decoder's final-normed hidden states (the output head is skipped), on the CPU with a KV cache of its own, so
/// embedding never competes with generation for cache cells. Long inputs go in chunks; several inputs share a pass.
/// </summary>
internal sealed class DecoderHiddenStates : IHiddenStates
{
    private readonly TransformerModel _model;
    private readonly CpuDevice _cpu;
    private readonly ModelPlacement _placement;
    private readonly KvCache _cache;
    private readonly ForwardScratch _scratch;

    public DecoderHiddenStates(TransformerModel model, KernelThreadPool pool, EmbedderOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.ContextSize, nameof(options.ContextSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SequenceCount, nameof(options.SequenceCount));
        _model = model;
        var hp = model.Hyperparameters;
        MaxSequenceTokens = options.ContextSize > 0 ? options.ContextSize : Math.Min(hp.ContextLength, EmbedderOptions.DefaultDecoderContextCap);
        BatchCapacity = Math.Min(options.BatchSize, MaxSequenceTokens);
        MaxSequences = options.SequenceCount;
        DefaultPooling = HyperparameterReader.ReadPooling(model.File.Metadata, hp.Architecture) ?? PoolingType.Last;
        _cpu = new CpuDevice(pool);
        var assignment = LayerAssignment.AllOn(_cpu, hp.LayerCount);
        _placement = ModelPlacement.Create(model, assignment);
        try
        {
            _cache = new KvCache(hp, MaxSequenceTokens, MaxSequences, GgmlType.F16, assignment.Attention);
            _scratch = model.CreateScratch(BatchCapacity);
        }
        catch
        {
            _placement.Dispose();
            throw;
        }
    }

    public int Dimensions => _model.Hyperparameters.EmbeddingLength;
    public int MaxSequenceTokens { get; }
    public int BatchCapacity { get; }
    public int MaxSequences { get; }
    public bool CanChunk => true;
    public PoolingType DefaultPooling { get; }

    public void Run(TokenBatch batch, Span<float> hidden)
    {
        _cache.Reserve(batch);
        _model.ForwardHidden(batch, _placement, _cache, _scratch, hidden);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _placement.Dispose();
        _scratch.Dispose();
        _cpu.Dispose();
    }
}

using System.Runtime.InteropServices;
using Tessera.Kernels.Attention;
using Tessera.Models;
using Tessera.Tensors;

namespace Tessera.Runtime;

/// <summary>
/// Keys and values of every layer for up to <see cref="SequenceCapacity"/> sequences of up to
/// <see cref="PositionCapacity"/> positions, in F16 (default, half the memory) or F32. Each layer holds
/// K and V as [sequences, positions, n_head_kv * head_dim] in native memory, so a sequence's positions are
/// contiguous as the attention kernel reads them. Which sequence id belongs to whom is the context's business.
/// </summary>
public sealed unsafe class KvCache : IKvCacheSeam, IDisposable
{
    private readonly byte*[] _keys;
    private readonly byte*[] _values;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly long _sequenceBytes;

    public KvCache(Hyperparameters hp, int positionCapacity, int sequenceCapacity = 1, GgmlType elementType = GgmlType.F16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positionCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceCapacity);
        if (elementType is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {elementType} is not supported; use F16 or F32", nameof(elementType));
        ElementType = elementType;
        PositionCapacity = positionCapacity;
        SequenceCapacity = sequenceCapacity;
        _kvHeads = hp.KvHeadCount;
        _headDim = hp.HeadDim;
        int elementBytes = elementType == GgmlType.F16 ? 2 : 4;
        _sequenceBytes = (long)positionCapacity * hp.KvLength * elementBytes;
        long layerBytes = _sequenceBytes * sequenceCapacity;
        _keys = new byte*[hp.LayerCount];
        _values = new byte*[hp.LayerCount];
        try
        {
            for (int layer = 0; layer < hp.LayerCount; layer++)
            {
                _keys[layer] = (byte*)NativeMemory.AllocZeroed((nuint)layerBytes);
                _values[layer] = (byte*)NativeMemory.AllocZeroed((nuint)layerBytes);
            }
        }
        catch (OutOfMemoryException)
        {
            Dispose();
            throw new InsufficientMemoryException($"not enough memory for a KV cache of {2 * layerBytes * hp.LayerCount / (1 << 20)} MiB "
                + $"({sequenceCapacity} x {positionCapacity} positions); use a smaller context");
        }
        TotalBytes = 2 * layerBytes * hp.LayerCount;
    }

    public GgmlType ElementType { get; }
    public int PositionCapacity { get; }
    public int SequenceCapacity { get; }
    public long TotalBytes { get; }

    public KvCacheView View(int layer, int sequenceId)
    {
        if ((uint)sequenceId >= (uint)SequenceCapacity)
            throw new ArgumentOutOfRangeException(nameof(sequenceId), sequenceId, $"the cache holds sequences 0..{SequenceCapacity - 1}");
        long offset = sequenceId * _sequenceBytes;
        return new KvCacheView(_keys[layer] + offset, _values[layer] + offset, ElementType, _kvHeads, _headDim);
    }

    public void Dispose()
    {
        for (int layer = 0; layer < _keys.Length; layer++)
        {
            NativeMemory.Free(_keys[layer]);
            NativeMemory.Free(_values[layer]);
            _keys[layer] = null;
            _values[layer] = null;
        }
        GC.SuppressFinalize(this);
    }

    ~KvCache() => Dispose();
}

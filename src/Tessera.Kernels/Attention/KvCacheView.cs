using Tessera.Tensors;

namespace Tessera.Kernels.Attention;

/// <summary>
/// Keys and values of one layer as the attention kernel reads them: both laid out
/// [positions, kvHeadCount, headDim] in <see cref="Type"/> (F16 or F32), position 0 first.
/// The memory belongs to the caller (the runtime's KV cache).
/// </summary>
public readonly unsafe struct KvCacheView
{
    public KvCacheView(void* keys, void* values, GgmlType type, int kvHeadCount, int headDim)
    {
        if (keys == null || values == null)
            throw new ArgumentNullException(keys == null ? nameof(keys) : nameof(values));
        if (type is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {type} is not supported; use F16 or F32", nameof(type));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        Keys = keys;
        Values = values;
        Type = type;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
    }

    public void* Keys { get; }

    public void* Values { get; }

    public GgmlType Type { get; }

    public int KvHeadCount { get; }

    public int HeadDim { get; }

    /// <summary>Bytes per element of the cache.</summary>
    public int ElementSize => Type == GgmlType.F16 ? 2 : 4;

    /// <summary>Start of the key row for <paramref name="position"/> and KV head <paramref name="kvHead"/>.</summary>
    public byte* KeyRow(int position, int kvHead) => (byte*)Keys + ((long)position * KvHeadCount + kvHead) * HeadDim * ElementSize;

    /// <summary>Start of the value row for <paramref name="position"/> and KV head <paramref name="kvHead"/>.</summary>
    public byte* ValueRow(int position, int kvHead) => (byte*)Values + ((long)position * KvHeadCount + kvHead) * HeadDim * ElementSize;
}

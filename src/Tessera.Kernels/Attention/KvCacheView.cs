using Tessera.Tensors;

namespace Tessera.Kernels.Attention;

/// <summary>
/// Keys and values of one layer as the attention kernel reads them: cells [kvHeadCount, headDim] in <see cref="Type"/>
/// (F16 or F32). Without a page table position p is cell p (one contiguous sequence); with one, position p is cell
/// PageTable[p / PageSize] * PageSize + p % PageSize (a paged cache). The memory belongs to the caller.
/// </summary>
public readonly unsafe struct KvCacheView
{
    public KvCacheView(void* keys, void* values, GgmlType type, int kvHeadCount, int headDim)
        : this(keys, values, type, kvHeadCount, headDim, null, 1)
    {
    }

    /// <param name="pageTable">page of each block of <paramref name="pageSize"/> positions; null for a contiguous sequence</param>
    public KvCacheView(void* keys, void* values, GgmlType type, int kvHeadCount, int headDim, int* pageTable, int pageSize)
    {
        if (keys == null || values == null)
            throw new ArgumentNullException(keys == null ? nameof(keys) : nameof(values));
        if (type is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {type} is not supported; use F16 or F32", nameof(type));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        Keys = keys;
        Values = values;
        Type = type;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
        PageTable = pageTable;
        PageSize = pageSize;
    }

    public void* Keys { get; }

    public void* Values { get; }

    public GgmlType Type { get; }

    public int KvHeadCount { get; }

    public int HeadDim { get; }

    /// <summary>Page of each block of <see cref="PageSize"/> positions; null when positions are cells.</summary>
    public int* PageTable { get; }

    public int PageSize { get; }

    /// <summary>Bytes per element of the cache.</summary>
    public int ElementSize => Type == GgmlType.F16 ? 2 : 4;

    /// <summary>The cell holding <paramref name="position"/>.</summary>
    public long Cell(int position) => PageTable == null ? position : (long)PageTable[position / PageSize] * PageSize + position % PageSize;

    /// <summary>Bytes from one position's row to the next within a page.</summary>
    public long CellBytes => (long)KvHeadCount * HeadDim * ElementSize;

    /// <summary>How many positions from <paramref name="position"/> on (at most <paramref name="count"/>) lie in
    /// consecutive cells, so their rows are <see cref="CellBytes"/> apart.</summary>
    public int ContiguousRun(int position, int count) => PageTable == null ? count : Math.Min(count, PageSize - position % PageSize);

    /// <summary>Start of the key row for <paramref name="position"/> and KV head <paramref name="kvHead"/>.</summary>
    public byte* KeyRow(int position, int kvHead) => (byte*)Keys + (Cell(position) * KvHeadCount + kvHead) * HeadDim * ElementSize;

    /// <summary>Start of the value row for <paramref name="position"/> and KV head <paramref name="kvHead"/>.</summary>
    public byte* ValueRow(int position, int kvHead) => (byte*)Values + (Cell(position) * KvHeadCount + kvHead) * HeadDim * ElementSize;
}

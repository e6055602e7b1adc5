using Tessera.Tensors;

namespace Tessera.Kernels.Attention;

/// <summary>
/// Keys and values of one layer as the attention kernel reads them: cells [kvHeadCount, headDim] in <see cref="Type"/>
/// (F16, F32, or Q8_0 blocks of 32 values when headDim is a multiple of 32). Without a page table position p is cell p (one contiguous sequence); with one, position p is cell
/// PageTable[p / PageSize] * PageSize + p % PageSize (a paged cache). The memory belongs to the caller.
/// </summary>
public readonly unsafe struct KvCacheView
{
    public KvCacheView(void* keys, void* values, GgmlType type, int kvHeadCount, int headDim)
        : this(keys, values, type, kvHeadCount, headDim, null, 1)
    {
    }

    /// <param name="pageTable">page of each block of <paramref name="pageSize"/> positions; null for a contiguous sequence</param>
    /// <param name="pageBytes">bytes from one page to the next; 0 means pageSize cells (pages hold nothing else)</param>
    public KvCacheView(void* keys, void* values, GgmlType type, int kvHeadCount, int headDim, int* pageTable, int pageSize, long pageBytes = 0)
    {
        if (keys == null || values == null)
            throw new ArgumentNullException(keys == null ? nameof(keys) : nameof(values));
        CheckType(type, headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        Keys = keys;
        Values = values;
        Type = type;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
        PageTable = pageTable;
        PageSize = pageSize;
        HeadRowBytes = HeadRowBytesFor(headDim, type);
        PageBytes = pageBytes == 0 ? pageSize * CellBytes : pageBytes;
        if (PageBytes < pageSize * CellBytes)
            throw new ArgumentOutOfRangeException(nameof(pageBytes), pageBytes, $"a page of {pageSize} cells needs {pageSize * CellBytes} bytes");
    }

    /// <summary>Throws unless cells of <paramref name="type"/> can hold heads of <paramref name="headDim"/> values: F16,
    /// F32, or Q8_0 when the heads are whole 32-value blocks.</summary>
    public static void CheckType(GgmlType type, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        HeadRowBytesFor(headDim, type);   // refuses the other types
        if (type == GgmlType.Q8_0 && headDim % Quants.Q8_0.Q8_0Rows.BlockSize != 0)
            throw new ArgumentException($"a Q8_0 KV cache needs a head width that is a multiple of 32; this model's is {headDim} (use f16)");
    }

    /// <summary>Bytes of one head row of <paramref name="headDim"/> values stored as <paramref name="type"/>.</summary>
    public static int HeadRowBytesFor(int headDim, GgmlType type) => type switch
    {
        GgmlType.F32 => headDim * 4,
        GgmlType.F16 => headDim * 2,
        GgmlType.Q8_0 => Quants.Q8_0.Q8_0Rows.RowBytes(headDim),
        _ => throw new ArgumentException($"KV cache type {type} is not supported; use F16, F32 or Q8_0", nameof(type)),
    };

    public void* Keys { get; }

    public void* Values { get; }

    public GgmlType Type { get; }

    public int KvHeadCount { get; }

    public int HeadDim { get; }

    /// <summary>Page of each block of <see cref="PageSize"/> positions; null when positions are cells.</summary>
    public int* PageTable { get; }

    public int PageSize { get; }

    /// <summary>Bytes of one head's keys (or values) for one position.</summary>
    public int HeadRowBytes { get; }

    /// <summary>Bytes from one page to the next (a page may have room to spare: a Q8_0 page in an F16 layer).</summary>
    public long PageBytes { get; }

    /// <summary>Byte offset of the cell holding <paramref name="position"/>.</summary>
    public long CellOffset(int position) => PageTable == null
        ? position * CellBytes
        : PageTable[position / PageSize] * PageBytes + position % PageSize * CellBytes;

    /// <summary>Bytes from one position's row to the next within a page.</summary>
    public long CellBytes => (long)KvHeadCount * HeadRowBytes;

    /// <summary>How many positions from <paramref name="position"/> on (at most <paramref name="count"/>) lie in
    /// consecutive cells, so their rows are <see cref="CellBytes"/> apart.</summary>
    public int ContiguousRun(int position, int count) => PageTable == null ? count : Math.Min(count, PageSize - position % PageSize);

    /// <summary>Start of the key row for <paramref name="position"/> and KV head <paramref name="kvHead"/>.</summary>
    public byte* KeyRow(int position, int kvHead) => (byte*)Keys + CellOffset(position) + (long)kvHead * HeadRowBytes;

    /// <summary>Start of the value row for <paramref name="position"/> and KV head <paramref name="kvHead"/>.</summary>
    public byte* ValueRow(int position, int kvHead) => (byte*)Values + CellOffset(position) + (long)kvHead * HeadRowBytes;
}

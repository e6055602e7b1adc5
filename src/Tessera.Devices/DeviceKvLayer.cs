using Tessera.Tensors;

namespace Tessera.Devices;

/// <summary>
/// Keys and values of one layer as a pool of <see cref="PageCount"/> pages of <see cref="PageSize"/> token cells,
/// [cell, kvHeads, headDim] in <see cref="ElementType"/> (F16 or F32), in the memory of the device that runs the
/// layer's attention. Cell c belongs to page c / PageSize; a sequence's page table (the same for every layer) maps its
/// position p to cell table[p / PageSize] * PageSize + p % PageSize. Contents are lost when the device fails; the
/// runtime recomputes them.
/// </summary>
public abstract class DeviceKvLayer : IDisposable
{
    protected DeviceKvLayer(ComputeDevice device, int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType)
    {
        if (elementType is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {elementType} is not supported; use F16 or F32", nameof(elementType));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageCount);
        Device = device;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
        PageSize = pageSize;
        PageCount = pageCount;
        ElementType = elementType;
    }

    public ComputeDevice Device { get; }
    public int KvHeadCount { get; }
    public int HeadDim { get; }

    /// <summary>Token cells per page.</summary>
    public int PageSize { get; }

    public int PageCount { get; }
    public GgmlType ElementType { get; }

    /// <summary>Token cells of the whole layer.</summary>
    public long CellCount => (long)PageSize * PageCount;

    public int ElementSize => ElementType == GgmlType.F16 ? 2 : 4;

    /// <summary>Bytes of keys and values together.</summary>
    public long Bytes => BytesFor(KvHeadCount, HeadDim, CellCount, ElementType);

    public static long BytesFor(int kvHeadCount, int headDim, long cellCount, GgmlType elementType) =>
        2L * kvHeadCount * headDim * cellCount * (elementType == GgmlType.F16 ? 2 : 4);

    /// <summary>Throws unless <paramref name="pages"/> are pages of this layer covering positions 0..positions-1.</summary>
    public void CheckPages(ReadOnlySpan<int> pages, long positions)
    {
        if ((long)pages.Length * PageSize < positions)
            throw new ArgumentOutOfRangeException(nameof(pages), $"{pages.Length} pages of {PageSize} cells do not cover {positions} positions");
        long needed = (positions + PageSize - 1) / PageSize;
        for (int i = 0; i < needed; i++)
        {
            if ((uint)pages[i] >= (uint)PageCount)
                throw new ArgumentOutOfRangeException(nameof(pages), pages[i], $"page {pages[i]} is outside the layer's {PageCount} pages");
        }
    }

    /// <summary>Copies the first <paramref name="cells"/> cells of page <paramref name="from"/> to page <paramref name="to"/>
    /// (copy on write: a sequence that diverges inside a shared page gets its own copy of the common part).</summary>
    public abstract void CopyCells(int from, int to, int cells);

    public abstract void Dispose();
}

using Tessera.Tensors;

namespace Tessera.Devices;

/// <summary>
/// Keys and values of one layer as a pool of <see cref="PageCount"/> pages of <see cref="PageSize"/> token cells,
/// [cell, kvHeads, headDim] in <see cref="ElementType"/> (F16, F32, or Q8_0 blocks where the device supports it:
/// each head's row is headDim / 32 blocks), in the memory of the device that runs the
/// layer's attention. Cell c belongs to page c / PageSize; a sequence's page table (the same for every layer) maps its
/// position p to cell table[p / PageSize] * PageSize + p % PageSize. Contents are lost when the device fails; the
/// runtime recomputes them.
/// A device may also keep some sequences' pages in a smaller type than <see cref="ElementType"/> (the load-shedding
/// ladder's Q8_0 rung): such a page is the same bytes, holding <see cref="PageCellsFor"/> cells of that type.
/// </summary>
public abstract class DeviceKvLayer : IDisposable
{
    protected DeviceKvLayer(ComputeDevice device, int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType)
    {
        CheckType(elementType, headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
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

    /// <summary>Bytes of one element (F16 and F32 only; a Q8_0 cache is addressed by <see cref="HeadRowBytes"/>).</summary>
    public int ElementSize => ElementType == GgmlType.F16 ? 2 : 4;

    /// <summary>Bytes of one head's keys (or values) for one token.</summary>
    public int HeadRowBytes => HeadRowBytesFor(HeadDim, ElementType);

    /// <summary>Bytes of keys and values together.</summary>
    public long Bytes => BytesFor(KvHeadCount, HeadDim, CellCount, ElementType);

    public static long BytesFor(int kvHeadCount, int headDim, long cellCount, GgmlType elementType) =>
        2L * kvHeadCount * cellCount * HeadRowBytesFor(headDim, elementType);

    /// <summary>Bytes of one head row of <paramref name="headDim"/> values in <paramref name="elementType"/>.</summary>
    public static int HeadRowBytesFor(int headDim, GgmlType elementType) => Kernels.Attention.KvCacheView.HeadRowBytesFor(headDim, elementType);

    /// <summary>Throws unless a cache of <paramref name="elementType"/> can hold heads of <paramref name="headDim"/> values.</summary>
    public static void CheckType(GgmlType elementType, int headDim) => Kernels.Attention.KvCacheView.CheckType(elementType, headDim);

    /// <summary>Throws unless <paramref name="pages"/> are pages of this layer covering positions 0..positions-1.</summary>
    /// <param name="pageCells">cells per page of the sequence (0: <see cref="PageSize"/>)</param>
    public void CheckPages(ReadOnlySpan<int> pages, long positions, int pageCells = 0)
    {
        if (pageCells == 0)
            pageCells = PageSize;
        if ((long)pages.Length * pageCells < positions)
            throw new ArgumentOutOfRangeException(nameof(pages), $"{pages.Length} pages of {pageCells} cells do not cover {positions} positions");
        long needed = (positions + pageCells - 1) / pageCells;
        for (int i = 0; i < needed; i++)
        {
            if ((uint)pages[i] >= (uint)PageCount)
                throw new ArgumentOutOfRangeException(nameof(pages), pages[i], $"page {pages[i]} is outside the layer's {PageCount} pages");
        }
    }

    /// <summary>Bytes of one page's keys (or values).</summary>
    public long PageBytes => (long)PageSize * KvHeadCount * HeadRowBytes;

    /// <summary>Cells of <paramref name="cellType"/> one page holds: <see cref="PageSize"/> for the element type, more
    /// for a smaller type (a Q8_0 page of an F16 layer holds 60 cells where F16 holds 32).</summary>
    public int PageCellsFor(GgmlType cellType) => cellType == ElementType
        ? PageSize
        : (int)(PageBytes / ((long)KvHeadCount * HeadRowBytesFor(HeadDim, cellType)));

    /// <summary>Copies the first <paramref name="cells"/> cells of page <paramref name="from"/> to page <paramref name="to"/>,
    /// both holding cells of <paramref name="cellType"/> (copy on write: a sequence that diverges inside a shared page
    /// gets its own copy of the common part); a device that keeps only its element type refuses others.</summary>
    public abstract void CopyCells(int from, int to, int cells, GgmlType cellType);

    public abstract void Dispose();
}

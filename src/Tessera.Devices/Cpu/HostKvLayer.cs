using System.Runtime.InteropServices;
using Tessera.Kernels.Attention;
using Tessera.Tensors;

namespace Tessera.Devices.Cpu;

/// <summary>One layer's KV pages in host memory, each page's cells contiguous as the attention kernel reads them; a
/// page may hold cells of a smaller type than the layer's (<see cref="DeviceKvLayer.PageCellsFor"/>).</summary>
public sealed unsafe class HostKvLayer : DeviceKvLayer
{
    private byte* _keys;
    private byte* _values;

    internal HostKvLayer(ComputeDevice device, int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType)
        : base(device, kvHeadCount, headDim, pageSize, pageCount, elementType)
    {
        nuint bytes = (nuint)(PageBytes * PageCount);
        try
        {
            // Huge pages: decode's attention walks one head's rows of every cell, a few hundred bytes apart, and at 4 KiB
            // pages that missed the TLB every few cells (tg64 after 2048 tokens +5-10%). Not cleared: a cell is always
            // written before attention or a copy reads it.
            _keys = HugePages.Allocate(bytes);
            _values = HugePages.Allocate(bytes);
        }
        catch (OutOfMemoryException)
        {
            Dispose();
            throw new InsufficientMemoryException($"not enough host memory for a KV layer of {2 * (long)bytes / (1 << 20)} MiB "
                + $"({CellCount} token cells); use a smaller context or KV pool");
        }
    }

    /// <summary>The view of the sequence whose page table starts at <paramref name="pageTable"/> and whose pages hold
    /// cells of <paramref name="cellType"/>; the table must stay pinned while the view is used.</summary>
    public KvCacheView View(int* pageTable, GgmlType cellType) =>
        new(_keys, _values, cellType, KvHeadCount, HeadDim, pageTable, PageCellsFor(cellType), PageBytes);

    public override void CopyCells(int from, int to, int cells, GgmlType cellType)
    {
        if ((uint)from >= (uint)PageCount || (uint)to >= (uint)PageCount || (uint)cells > (uint)PageCellsFor(cellType))
            throw new ArgumentOutOfRangeException(nameof(cells), $"cannot copy {cells} cells from page {from} to page {to} of {PageCount}");
        long bytes = cells * (long)KvHeadCount * HeadRowBytesFor(HeadDim, cellType);
        Buffer.MemoryCopy(_keys + from * PageBytes, _keys + to * PageBytes, bytes, bytes);
        Buffer.MemoryCopy(_values + from * PageBytes, _values + to * PageBytes, bytes, bytes);
    }

    public override void Dispose()
    {
        HugePages.Free(_keys);
        HugePages.Free(_values);
        _keys = null;
        _values = null;
        GC.SuppressFinalize(this);
    }

    ~HostKvLayer() => Dispose();
}

using System.Runtime.InteropServices;
using Tessera.Kernels.Attention;
using Tessera.Tensors;

namespace Tessera.Devices.Cpu;

/// <summary>One layer's KV pages in host memory, each page's cells contiguous as the attention kernel reads them.</summary>
public sealed unsafe class HostKvLayer : DeviceKvLayer
{
    private byte* _keys;
    private byte* _values;
    private readonly long _cellBytes;

    internal HostKvLayer(ComputeDevice device, int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType)
        : base(device, kvHeadCount, headDim, pageSize, pageCount, elementType)
    {
        _cellBytes = (long)kvHeadCount * HeadRowBytes;
        nuint bytes = (nuint)(_cellBytes * CellCount);
        try
        {
            _keys = (byte*)NativeMemory.AllocZeroed(bytes);
            _values = (byte*)NativeMemory.AllocZeroed(bytes);
        }
        catch (OutOfMemoryException)
        {
            Dispose();
            throw new InsufficientMemoryException($"not enough host memory for a KV layer of {2 * (long)bytes / (1 << 20)} MiB "
                + $"({CellCount} token cells); use a smaller context or KV pool");
        }
    }

    /// <summary>The view of the sequence whose page table starts at <paramref name="pageTable"/>; the table must stay
    /// pinned while the view is used.</summary>
    public KvCacheView View(int* pageTable) => new(_keys, _values, ElementType, KvHeadCount, HeadDim, pageTable, PageSize);

    public override void CopyCells(int from, int to, int cells)
    {
        if ((uint)from >= (uint)PageCount || (uint)to >= (uint)PageCount || (uint)cells > (uint)PageSize)
            throw new ArgumentOutOfRangeException(nameof(cells), $"cannot copy {cells} cells from page {from} to page {to} of {PageCount}");
        long bytes = cells * _cellBytes, pageBytes = PageSize * _cellBytes;
        Buffer.MemoryCopy(_keys + from * pageBytes, _keys + to * pageBytes, bytes, bytes);
        Buffer.MemoryCopy(_values + from * pageBytes, _values + to * pageBytes, bytes, bytes);
    }

    public override void Dispose()
    {
        NativeMemory.Free(_keys);
        NativeMemory.Free(_values);
        _keys = null;
        _values = null;
        GC.SuppressFinalize(this);
    }

    ~HostKvLayer() => Dispose();
}

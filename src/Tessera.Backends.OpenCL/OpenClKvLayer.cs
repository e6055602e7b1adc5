using Tessera.Devices;
using Tessera.Tensors;

namespace Tessera.Backends.OpenCL;

/// <summary>
/// One layer's KV pages in an OpenCL device's memory pool: keys and values each [cell, kvHeads, headDim] in F16 or
/// F32; the kernels map a sequence's positions to cells through its page table.
/// </summary>
public sealed class OpenClKvLayer : DeviceKvLayer
{
    internal OpenClKvLayer(OpenClDevice device, int kvHeadCount, int headDim, int pageSize, int pageCount, GgmlType elementType,
        PoolBlock keys, PoolBlock values)
        : base(device, kvHeadCount, headDim, pageSize, pageCount, elementType)
    {
        Keys = keys;
        Values = values;
    }

    internal PoolBlock Keys { get; }
    internal PoolBlock Values { get; }

    /// <summary>Bytes of one cell's keys (or values).</summary>
    internal long CellBytes => (long)KvHeadCount * HeadDim * ElementSize;

    /// <summary>Element offset of cell 0 of <paramref name="block"/> within its memory object.</summary>
    internal ulong ElementOffset(PoolBlock block) => (ulong)(block.Offset / ElementSize);

    public override void CopyCells(int from, int to, int cells, GgmlType cellType)
    {
        if (cellType != ElementType)
            throw new NotSupportedException($"device {Device.Name} keeps KV cells in {ElementType} only, not {cellType}");
        if ((uint)from >= (uint)PageCount || (uint)to >= (uint)PageCount || (uint)cells > (uint)PageSize)
            throw new ArgumentOutOfRangeException(nameof(cells), $"cannot copy {cells} cells from page {from} to page {to} of {PageCount}");
        ((OpenClDevice)Device).CopyCells(this, from, to, cells);
    }

    public override void Dispose()
    {
        var device = (OpenClDevice)Device;
        device.Release(Keys);
        device.Release(Values);
    }
}

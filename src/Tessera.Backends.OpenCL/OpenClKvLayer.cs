using Tessera.Devices;
using Tessera.Tensors;

namespace Tessera.Backends.OpenCL;

/// <summary>
/// One layer's keys and values in an OpenCL device's memory pool, each [sequence, position, kvHeads, headDim] in
/// F16 or F32, so a sequence's positions are contiguous as the attention kernel reads them.
/// </summary>
public sealed class OpenClKvLayer : DeviceKvLayer
{
    internal OpenClKvLayer(OpenClDevice device, int kvHeadCount, int headDim, int positionCount, int sequenceCount, GgmlType elementType,
        PoolBlock keys, PoolBlock values)
        : base(device, kvHeadCount, headDim, positionCount, sequenceCount, elementType)
    {
        Keys = keys;
        Values = values;
    }

    internal PoolBlock Keys { get; }
    internal PoolBlock Values { get; }

    /// <summary>Elements of one sequence's keys (or values).</summary>
    internal long SequenceElements => (long)PositionCount * KvHeadCount * HeadDim;

    /// <summary>Element offset within its page of (sequence, position, head 0, dim 0) of <paramref name="block"/>.</summary>
    internal ulong ElementOffset(PoolBlock block, int sequence, int position) =>
        (ulong)(block.Offset / ElementSize + sequence * SequenceElements + (long)position * KvHeadCount * HeadDim);

    public override void Dispose()
    {
        var device = (OpenClDevice)Device;
        device.Release(Keys);
        device.Release(Values);
    }
}

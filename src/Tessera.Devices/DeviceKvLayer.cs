using Tessera.Tensors;

namespace Tessera.Devices;

/// <summary>
/// Keys and values of one layer for <see cref="SequenceCount"/> sequences of <see cref="PositionCount"/> positions,
/// [sequence, position, kvHeads, headDim] in <see cref="ElementType"/> (F16 or F32), in the memory of the device that
/// runs the layer's attention. Contents are lost when the device fails; the runtime recomputes them.
/// </summary>
public abstract class DeviceKvLayer : IDisposable
{
    protected DeviceKvLayer(ComputeDevice device, int kvHeadCount, int headDim, int positionCount, int sequenceCount, GgmlType elementType)
    {
        if (elementType is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {elementType} is not supported; use F16 or F32", nameof(elementType));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positionCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceCount);
        Device = device;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
        PositionCount = positionCount;
        SequenceCount = sequenceCount;
        ElementType = elementType;
    }

    public ComputeDevice Device { get; }
    public int KvHeadCount { get; }
    public int HeadDim { get; }
    public int PositionCount { get; }
    public int SequenceCount { get; }
    public GgmlType ElementType { get; }

    public int ElementSize => ElementType == GgmlType.F16 ? 2 : 4;

    /// <summary>Bytes of keys and values together.</summary>
    public long Bytes => BytesFor(KvHeadCount, HeadDim, PositionCount, SequenceCount, ElementType);

    public static long BytesFor(int kvHeadCount, int headDim, int positionCount, int sequenceCount, GgmlType elementType) =>
        2L * kvHeadCount * headDim * positionCount * sequenceCount * (elementType == GgmlType.F16 ? 2 : 4);

    public abstract void Dispose();
}

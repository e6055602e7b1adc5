using System.Runtime.InteropServices;
using Tessera.Kernels.Attention;
using Tessera.Tensors;

namespace Tessera.Devices.Cpu;

/// <summary>One layer's keys and values in host memory, each sequence's positions contiguous as the attention kernel reads them.</summary>
public sealed unsafe class HostKvLayer : DeviceKvLayer
{
    private byte* _keys;
    private byte* _values;
    private readonly long _sequenceBytes;

    internal HostKvLayer(ComputeDevice device, int kvHeadCount, int headDim, int positionCount, int sequenceCount, GgmlType elementType)
        : base(device, kvHeadCount, headDim, positionCount, sequenceCount, elementType)
    {
        _sequenceBytes = (long)positionCount * kvHeadCount * headDim * ElementSize;
        nuint bytes = (nuint)(_sequenceBytes * sequenceCount);
        try
        {
            _keys = (byte*)NativeMemory.AllocZeroed(bytes);
            _values = (byte*)NativeMemory.AllocZeroed(bytes);
        }
        catch (OutOfMemoryException)
        {
            Dispose();
            throw new InsufficientMemoryException($"not enough host memory for a KV layer of {2 * (long)bytes / (1 << 20)} MiB "
                + $"({sequenceCount} x {positionCount} positions); use a smaller context");
        }
    }

    public KvCacheView View(int sequence)
    {
        if ((uint)sequence >= (uint)SequenceCount)
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"the cache holds sequences 0..{SequenceCount - 1}");
        long offset = sequence * _sequenceBytes;
        return new KvCacheView(_keys + offset, _values + offset, ElementType, KvHeadCount, HeadDim);
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

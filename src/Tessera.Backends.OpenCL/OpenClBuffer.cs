using Tessera.Devices;

namespace Tessera.Backends.OpenCL;

/// <summary>Floats in a block of an OpenCL device's memory pool.</summary>
public sealed class OpenClBuffer : DeviceBuffer
{
    internal OpenClBuffer(OpenClDevice device, PoolBlock block, int length) : base(device, length)
    {
        Block = block;
    }

    internal PoolBlock Block { get; }

    /// <summary>Element offset of float 0 within the page (pool offsets are aligned to at least 4 bytes).</summary>
    internal ulong FloatOffset => (ulong)Block.Offset / sizeof(float);

    public override void Dispose() => ((OpenClDevice)Device).Release(Block);
}

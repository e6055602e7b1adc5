using Tessera.Devices;
using Tessera.Tensors;

namespace Tessera.Backends.OpenCL;

/// <summary>A weight matrix in an OpenCL device's memory pool, rows back to back in <see cref="DeviceMatrix.Type"/>.</summary>
public sealed class OpenClMatrix : DeviceMatrix
{
    internal OpenClMatrix(OpenClDevice device, string name, GgmlType sourceType, GgmlType type, long rows, int columns, PoolBlock block)
        : base(device, name, sourceType, type, rows, columns)
    {
        Block = block;
    }

    internal PoolBlock Block { get; }

    public override void Dispose() => ((OpenClDevice)Device).Release(Block);
}

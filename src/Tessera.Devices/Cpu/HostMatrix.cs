using Tessera.Tensors;

namespace Tessera.Devices.Cpu;

/// <summary>A matrix the CPU reads where it lies (the mapped file or the loaded copy of it): uploading costs nothing.</summary>
public sealed unsafe class HostMatrix(ComputeDevice device, string name, GgmlType type, byte* data, long rows, int columns)
    : DeviceMatrix(device, name, type, type, rows, columns)
{
    public byte* Data { get; } = data;

    /// <summary>Start of the first row of <paramref name="rows"/>.</summary>
    public byte* RowsStart(in MatrixRows rows) => Data + rows.FirstRow * RowBytes;

    public override void Dispose()
    {
    }
}

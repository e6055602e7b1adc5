using Tessera.Tensors;

namespace Tessera.Models;

/// <summary>
/// A weight matrix [Rows, Columns] in its file type, read in place from mapped memory (rows contiguous,
/// each row <see cref="RowBytes"/> long). A 3-D expert tensor is a stack of such matrices; <see cref="Expert"/> picks one.
/// </summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(string name, GgmlType type, byte* data, long rows, int columns)
    {
        Name = name;
        Type = type;
        Data = data;
        Rows = rows;
        Columns = columns;
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public byte* Data { get; }
    public long Rows { get; }
    public int Columns { get; }

    public long RowBytes => GgmlTypeTraits.Of(Type).BytesFor(Columns);

    /// <summary>Matrix <paramref name="expert"/> of a stack whose matrices each have <paramref name="rowsPerExpert"/> rows.</summary>
    public WeightMatrix Expert(int expert, long rowsPerExpert) =>
        new(Name, Type, Data + expert * rowsPerExpert * RowBytes, rowsPerExpert, Columns);

    /// <summary>This matrix in the memory of <paramref name="device"/> (the CPU reads it in place).</summary>
    public Devices.DeviceMatrix UploadTo(Devices.ComputeDevice device) => device.UploadMatrix(Name, Type, Data, Rows, Columns);

    /// <summary>Dequantizes row <paramref name="row"/> into <paramref name="destination"/> [Columns].</summary>
    public void DequantizeRow(long row, Span<float> destination)
    {
        long bytes = RowBytes;
        Quantization.Dequantize(Type, new ReadOnlySpan<byte>(Data + row * bytes, checked((int)bytes)), destination[..Columns]);
    }
}

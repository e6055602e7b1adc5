using Tessera.Kernels.Elementwise;
using Tessera.Tensors;

namespace Tessera.Devices;

/// <summary>
/// A weight matrix [Rows, Columns] resident on a device, stored in <see cref="Type"/>: the file type when the device has
/// kernels for it (read in its GGUF block layout), otherwise the type the device converted it to at upload
/// (<see cref="SourceType"/> says what the file had).
/// </summary>
public abstract class DeviceMatrix : IDisposable
{
    protected DeviceMatrix(ComputeDevice device, string name, GgmlType sourceType, GgmlType type, long rows, int columns)
    {
        Device = device;
        Name = name;
        SourceType = sourceType;
        Type = type;
        Rows = rows;
        Columns = columns;
    }

    public ComputeDevice Device { get; }
    public string Name { get; }
    public GgmlType SourceType { get; }
    public GgmlType Type { get; }
    public long Rows { get; }
    public int Columns { get; }

    public long RowBytes => GgmlTypeTraits.Of(Type).BytesFor(Columns);

    /// <summary>Device memory the matrix takes.</summary>
    public long Bytes => RowBytes * Rows;

    /// <summary>All rows.</summary>
    public MatrixRows AllRows => new(this, 0, checked((int)Rows));

    /// <summary>Matrix <paramref name="expert"/> of a stack whose matrices each have <paramref name="rowsPerExpert"/> rows.</summary>
    public MatrixRows Expert(int expert, int rowsPerExpert) => new(this, (long)expert * rowsPerExpert, rowsPerExpert);

    public abstract void Dispose();
}

/// <summary>Rows [FirstRow, FirstRow + Count) of a device matrix (one expert of a stack, or all of it).</summary>
public readonly record struct MatrixRows(DeviceMatrix Matrix, long FirstRow, int Count)
{
    public static implicit operator MatrixRows(DeviceMatrix matrix) => matrix.AllRows;
}

/// <summary>One product of a shared-input linear: <see cref="Output"/> [tokens, Weight.Count] = x · Weight^T, rotated
/// by RoPE as it is written when <see cref="Rotary"/> is set (a layer's q or k).</summary>
public readonly record struct LinearTarget(MatrixRows Weight, DeviceSpan Output, RotaryOutput Rotary = default);

/// <summary>One single-token product of a batch of independent ones: <see cref="Output"/> [Weight.Count] = Weight · <see cref="X"/>.</summary>
public readonly record struct LinearProduct(MatrixRows Weight, DeviceSpan X, DeviceSpan Output);

/// <summary>One multi-token product of a batch of independent ones (an expert over the tokens routed to it):
/// <see cref="Output"/> [Tokens, Weight.Count] = <see cref="X"/> [Tokens, columns] · Weight^T; <see cref="Shards"/> is how
/// many pieces the scheduler would like its rows cut into (a hint a device may ignore).</summary>
public readonly record struct GroupedLinear(MatrixRows Weight, DeviceSpan X, int Tokens, DeviceSpan Output, int Shards = 1);

using Tessera.Tensors;

namespace Tessera.Gguf;

/// <summary>Where one tensor's data lives and what shape and type it has. Immutable.</summary>
public sealed class GgufTensorInfo
{
    private readonly long[] _dimensions;

    internal GgufTensorInfo(string name, GgmlType type, long[] dimensions, long elementCount, long byteSize,
        long offset, int splitIndex, long infoOffset)
    {
        Name = name;
        Type = type;
        _dimensions = dimensions;
        ElementCount = elementCount;
        ByteSize = byteSize;
        Offset = offset;
        SplitIndex = splitIndex;
        InfoOffset = infoOffset;
        RowCount = 1;
        for (var i = 1; i < dimensions.Length; i++)
            RowCount *= dimensions[i];
    }

    public string Name { get; }

    public GgmlType Type { get; }

    /// <summary>Dimensions in ggml order: [0] is the row length (ne0), [1] the number of rows, ... (a copy).</summary>
    public long[] Dimensions => (long[])_dimensions.Clone();

    public int DimensionCount => _dimensions.Length;

    /// <summary>Dimension <paramref name="index"/> in ggml order; 1 beyond <see cref="DimensionCount"/>.</summary>
    public long Dimension(int index) => index < _dimensions.Length ? _dimensions[index] : 1;

    public long ElementCount { get; }

    /// <summary>Elements per row (ne0).</summary>
    public long RowLength => _dimensions[0];

    /// <summary>Number of rows: the product of every dimension but the first.</summary>
    public long RowCount { get; }

    /// <summary>Bytes of data in the file.</summary>
    public long ByteSize { get; }

    /// <summary>Offset of the data relative to the data section of its split part.</summary>
    public long Offset { get; }

    /// <summary>0-based index of the split part holding the data (0 for unsplit files).</summary>
    public int SplitIndex { get; }

    /// <summary>File offset of this tensor's info record, for error messages.</summary>
    public long InfoOffset { get; }

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", _dimensions)}]";
}

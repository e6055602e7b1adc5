namespace Tessera.Gguf;

/// <summary>
/// One metadata key/value pair. <see cref="Value"/> holds the CLR form of the value: byte, sbyte,
/// ushort, short, uint, int, float, bool, string, ulong, long or double; for arrays a typed CLR array
/// (byte[] ... string[], bool[]) whose element type is <see cref="ElementType"/>.
/// </summary>
/// <param name="Offset">File offset of the entry's key (0 for entries not read from a file).</param>
public sealed record GgufMetadataEntry(string Key, GgufValueType Type, GgufValueType? ElementType, object Value, long Offset)
{
    /// <summary>The type as people read it: "uint32", "string", "array of int32".</summary>
    public string TypeName => Type == GgufValueType.Array && ElementType is { } element
        ? "array of " + GgufValueTypes.Name(element)
        : GgufValueTypes.Name(Type);
}

using Tessera.Tensors;

namespace Tessera.Gguf.Reading;

/// <summary>
/// Parses and validates the header of one GGUF file held in memory: magic, version, metadata,
/// tensor infos and data layout. Every count is checked against a named cap and against the bytes
/// that remain before anything is allocated.
/// Layout: magic u32 | version u32 | tensor_count u64 | kv_count u64 | kv* | tensor_info* | pad | data.
/// </summary>
internal static unsafe class GgufHeaderParser
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Version 1 stored counts as uint32 and is not read; 2 and 3 share one little-endian layout.</summary>
    public const uint MinVersion = 2, MaxVersion = 3;

    /// <summary>Smallest key/value record: key length (8) + one key byte + type (4) + one value byte.</summary>
    private const long MinKeyValueBytes = 8 + 1 + 4 + 1;

    /// <summary>Smallest tensor info: name length (8) + one name byte + n_dims (4) + one dim (8) + type (4) + offset (8).</summary>
    private const long MinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

    public static GgufHeader Parse(byte* start, long length, string source, int splitIndex)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("GGUF reading needs a little-endian machine");

        var cursor = new GgufCursor(start, length, source);
        var magic = cursor.ReadUInt32("magic");
        if (magic != Magic)
            throw cursor.Error($"magic is 0x{magic:X8} ('{Printable(magic)}'), expected 0x{Magic:X8} ('GGUF')", 0);

        cursor.Enter("version", "header");
        var version = cursor.ReadUInt32("version");
        if (version is < MinVersion or > MaxVersion)
            throw cursor.Error(VersionProblem(version), 4);

        cursor.Enter("tensor_count", "header");
        var tensorCount = cursor.ReadCount("tensor_count", GgufLimits.MaxTensorCount, MinTensorInfoBytes);
        cursor.Enter("kv_count", "header");
        var kvCount = cursor.ReadCount("kv_count", GgufLimits.MaxKeyValueCount, MinKeyValueBytes);

        var metadata = new GgufMetadata(GgufMetadataReader.ReadAll(cursor, kvCount));
        var alignment = ReadAlignment(metadata, cursor);
        var tensors = ReadTensorInfos(cursor, tensorCount, splitIndex);

        var dataStart = AlignUp(cursor.Position, alignment);
        CheckDataLayout(cursor, tensors, dataStart, alignment);
        return new GgufHeader(version, alignment, metadata, tensors, dataStart, length);
    }

    /// <summary>Rounds <paramref name="value"/> up to a multiple of the power of two <paramref name="alignment"/>.</summary>
    public static long AlignUp(long value, long alignment) => checked(value + alignment - 1) & ~(alignment - 1);

    private static string VersionProblem(uint version)
    {
        if (version == 1)
            return "version 1 (32-bit counts) is not supported; convert the file to GGUF v3";
        if (BitConverter.IsLittleEndian && version is >= 0x01000000 && System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(version) is >= 1 and <= MaxVersion)
            return $"version 0x{version:X8} looks byte-swapped (a big-endian file); only little-endian GGUF is supported";
        return $"version {version} is not supported (expected {MinVersion} or {MaxVersion})";
    }

    private static string Printable(uint magic)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            var b = (byte)(magic >> (8 * i));
            chars[i] = b is >= 0x20 and < 0x7F ? (char)b : '.';
        }
        return new string(chars);
    }

    /// <summary>general.alignment, when present, must be a uint32 power of two.</summary>
    private static long ReadAlignment(GgufMetadata metadata, GgufCursor cursor)
    {
        if (metadata.Find(GgufKeys.Alignment) is not { } entry)
            return GgufLimits.DefaultAlignment;
        cursor.Enter(GgufKeys.Alignment, $"metadata '{GgufKeys.Alignment}'");
        if (entry.Type != GgufValueType.UInt32)
            throw cursor.Error($"is {entry.TypeName} ({entry.Value}), expected uint32", entry.Offset);
        var alignment = (uint)entry.Value;
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw cursor.Error($"{alignment} is not a power of two", entry.Offset);
        return alignment;
    }

    private static GgufTensorInfo[] ReadTensorInfos(GgufCursor cursor, long count, int splitIndex)
    {
        var tensors = new GgufTensorInfo[count];
        var names = new HashSet<string>((int)count, StringComparer.Ordinal);
        for (var i = 0; i < tensors.Length; i++)
        {
            var infoOffset = cursor.Position;
            cursor.Enter($"tensor[{i}].name", $"tensor[{i}].name");
            var name = cursor.ReadString("name", GgufLimits.MaxTensorNameBytes);
            if (name.Length == 0)
                throw cursor.Error("name is empty", infoOffset);
            cursor.Enter(name, $"tensor '{name}'");
            if (!names.Add(name))
                throw cursor.Error("name is used by an earlier tensor", infoOffset);
            tensors[i] = ReadTensorInfo(cursor, name, infoOffset, splitIndex);
        }
        return tensors;
    }

    private static GgufTensorInfo ReadTensorInfo(GgufCursor cursor, string name, long infoOffset, int splitIndex)
    {
        var at = cursor.Position;
        var dimensionCount = cursor.ReadUInt32("n_dims");
        if (dimensionCount is 0 or > GgufLimits.MaxDimensions)
            throw cursor.Error($"n_dims {dimensionCount} is outside 1..{GgufLimits.MaxDimensions}", at);

        var dimensions = new long[dimensionCount];
        long elementCount = 1;
        for (var d = 0; d < dimensions.Length; d++)
        {
            at = cursor.Position;
            var dimension = cursor.ReadUInt64($"dims[{d}]");
            if (dimension > long.MaxValue)
                throw cursor.Error($"dims[{d}] = {(long)dimension} is negative", at);
            dimensions[d] = (long)dimension;
            if (dimension != 0 && elementCount > long.MaxValue / (long)dimension)
                throw cursor.Error($"element count of dims [{string.Join(", ", dimensions[..(d + 1)])}] overflows int64", at);
            elementCount *= (long)dimension;
        }

        at = cursor.Position;
        var typeId = cursor.ReadUInt32("type");
        if (!GgmlTypeTraits.IsKnown(typeId))
            throw cursor.Error($"type id {typeId} is unknown or retired", at);
        var traits = GgmlTypeTraits.Of((GgmlType)typeId);
        if (dimensions[0] % traits.BlockSize != 0)
            throw cursor.Error($"row length {dimensions[0]} is not a multiple of the {traits.Name} block size {traits.BlockSize}", at);
        var blocks = elementCount / traits.BlockSize;
        if (blocks > long.MaxValue / traits.BlockBytes)
            throw cursor.Error($"byte size of {elementCount} {traits.Name} elements overflows int64", at);

        at = cursor.Position;
        var offset = cursor.ReadUInt64("offset");
        if (offset > long.MaxValue)
            throw cursor.Error($"data offset 0x{offset:X} is negative", at);
        return new GgufTensorInfo(name, traits.Type, dimensions, elementCount, blocks * traits.BlockBytes,
            (long)offset, splitIndex, infoOffset);
    }

    /// <summary>
    /// Tensor data must be laid out as every GGUF writer lays it out and as ggml's loader demands: in
    /// tensor-info order, each tensor at the end of the previous one padded up to the alignment, the
    /// first at offset 0, all inside the file. Anything else means a corrupt or hand-crafted file.
    /// </summary>
    private static void CheckDataLayout(GgufCursor cursor, GgufTensorInfo[] tensors, long dataStart, long alignment)
    {
        var available = cursor.Length - dataStart; // may be negative when the file ends inside the padding
        long expected = 0;
        string? previous = null;
        foreach (var t in tensors)
        {
            cursor.Enter(t.Name, $"tensor '{t.Name}'");
            if (t.Offset % alignment != 0)
                throw cursor.Error($"data offset 0x{t.Offset:X} is not a multiple of the alignment {alignment}", t.InfoOffset);
            if (t.Offset != expected)
            {
                var problem = t.Offset < expected ? "overlaps or comes before" : "leaves a gap after";
                var after = previous is null ? "the start of the data section" : $"tensor '{previous}'";
                throw cursor.Error($"data offset 0x{t.Offset:X} {problem} {after}; expected 0x{expected:X}", t.InfoOffset);
            }
            if (available < 0 || t.ByteSize > available - t.Offset)
                throw cursor.Error($"data [0x{dataStart + t.Offset:X}, +{t.ByteSize}) ends beyond the file (size 0x{cursor.Length:X})", t.InfoOffset);
            expected = AlignUp(t.Offset + t.ByteSize, alignment);
            previous = t.Name;
        }
    }
}

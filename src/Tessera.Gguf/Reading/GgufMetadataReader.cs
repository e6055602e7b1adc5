
namespace Tessera.Gguf.Reading;

/// <summary>
/// Reads the key/value records of a GGUF header. Layout of one record: key (string), value type
/// (uint32), value; an array value is element type (uint32), count (uint64), elements.
/// </summary>
internal static unsafe class GgufMetadataReader
{
    public static GgufMetadataEntry[] ReadAll(GgufCursor cursor, long count)
    {
        var entries = new GgufMetadataEntry[count];
        var keys = new HashSet<string>((int)count, StringComparer.Ordinal);
        for (var i = 0; i < entries.Length; i++)
        {
            var entryOffset = cursor.Position;
            cursor.Enter($"metadata[{i}].key", $"metadata[{i}].key");
            var key = cursor.ReadString("key", GgufLimits.MaxKeyBytes);
            if (key.Length == 0)
                throw cursor.Error("key is empty", entryOffset);
            cursor.Enter(key, $"metadata '{key}'");
            if (!keys.Add(key))
                throw cursor.Error("key is used by an earlier entry", entryOffset);
            entries[i] = ReadValue(cursor, key, entryOffset);
        }
        return entries;
    }

    private static GgufMetadataEntry ReadValue(GgufCursor cursor, string key, long entryOffset)
    {
        var type = ReadType(cursor, "value type");
        if (type != GgufValueType.Array)
            return new GgufMetadataEntry(key, type, null, ReadScalar(cursor, type), entryOffset);

        var elementType = ReadType(cursor, "array element type");
        if (elementType == GgufValueType.Array)
            throw cursor.Error("nested arrays are not supported", cursor.Position - 4);
        var count = cursor.ReadCount("array length", GgufLimits.MaxArrayLength, GgufValueTypes.MinStoredSize(elementType));
        return new GgufMetadataEntry(key, type, elementType, ReadArray(cursor, elementType, (int)count), entryOffset);
    }

    private static GgufValueType ReadType(GgufCursor cursor, string what)
    {
        var id = cursor.ReadUInt32(what);
        return GgufValueTypes.IsDefined(id) ? (GgufValueType)id : throw cursor.Error($"{what} {id} is unknown", cursor.Position - 4);
    }

    private static object ReadScalar(GgufCursor cursor, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => cursor.ReadByte("uint8 value"),
        GgufValueType.Int8 => (sbyte)cursor.ReadByte("int8 value"),
        GgufValueType.UInt16 => cursor.ReadUInt16("uint16 value"),
        GgufValueType.Int16 => (short)cursor.ReadUInt16("int16 value"),
        GgufValueType.UInt32 => cursor.ReadUInt32("uint32 value"),
        GgufValueType.Int32 => (int)cursor.ReadUInt32("int32 value"),
        GgufValueType.Float32 => BitConverter.UInt32BitsToSingle(cursor.ReadUInt32("float32 value")),
        GgufValueType.UInt64 => cursor.ReadUInt64("uint64 value"),
        GgufValueType.Int64 => (long)cursor.ReadUInt64("int64 value"),
        GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(cursor.ReadUInt64("float64 value")),
        GgufValueType.Bool => ReadBool(cursor, "bool value"),
        GgufValueType.String => cursor.ReadString("string value", GgufLimits.MaxStringBytes),
        _ => throw cursor.Error($"value type {type} cannot be read as a scalar"),
    };

    private static bool ReadBool(GgufCursor cursor, string what)
    {
        var b = cursor.ReadByte(what);
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw cursor.Error($"{what} byte is {b}, expected 0 or 1", cursor.Position - 1),
        };
    }

    private static object ReadArray(GgufCursor cursor, GgufValueType elementType, int count) => elementType switch
    {
        GgufValueType.UInt8 => ReadNumbers<byte>(cursor, count),
        GgufValueType.Int8 => ReadNumbers<sbyte>(cursor, count),
        GgufValueType.UInt16 => ReadNumbers<ushort>(cursor, count),
        GgufValueType.Int16 => ReadNumbers<short>(cursor, count),
        GgufValueType.UInt32 => ReadNumbers<uint>(cursor, count),
        GgufValueType.Int32 => ReadNumbers<int>(cursor, count),
        GgufValueType.Float32 => ReadNumbers<float>(cursor, count),
        GgufValueType.UInt64 => ReadNumbers<ulong>(cursor, count),
        GgufValueType.Int64 => ReadNumbers<long>(cursor, count),
        GgufValueType.Float64 => ReadNumbers<double>(cursor, count),
        GgufValueType.Bool => ReadBools(cursor, count),
        GgufValueType.String => ReadStrings(cursor, count),
        _ => throw cursor.Error($"array element type {elementType} is not supported"),
    };

    /// <summary>Copies little-endian numbers straight from the file (the host is little-endian).</summary>
    private static T[] ReadNumbers<T>(GgufCursor cursor, int count) where T : unmanaged
    {
        var bytes = cursor.Take((long)count * sizeof(T), "array elements");
        return new ReadOnlySpan<T>(bytes, count).ToArray();
    }

    private static bool[] ReadBools(GgufCursor cursor, int count)
    {
        var result = new bool[count];
        for (var i = 0; i < count; i++)
            result[i] = ReadBool(cursor, $"array element {i}");
        return result;
    }

    private static string[] ReadStrings(GgufCursor cursor, int count)
    {
        var result = new string[count];
        for (var i = 0; i < count; i++)
            result[i] = cursor.ReadString("array element", GgufLimits.MaxStringBytes);
        return result;
    }
}

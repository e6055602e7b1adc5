using System.Collections;

namespace Tessera.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file in file order, with typed accessors. A missing key or a value
/// of the wrong type raises <see cref="GgufFormatException"/> naming the key.
/// </summary>
public sealed class GgufMetadata : IReadOnlyList<GgufMetadataEntry>
{
    private readonly GgufMetadataEntry[] _entries;
    private readonly Dictionary<string, GgufMetadataEntry> _byKey;

    /// <summary>Builds metadata from entries with distinct keys (throws <see cref="ArgumentException"/> on a duplicate).</summary>
    public GgufMetadata(IEnumerable<GgufMetadataEntry> entries)
    {
        _entries = entries.ToArray();
        _byKey = new Dictionary<string, GgufMetadataEntry>(_entries.Length, StringComparer.Ordinal);
        foreach (var entry in _entries)
            _byKey.Add(entry.Key, entry);
    }

    public int Count => _entries.Length;

    public GgufMetadataEntry this[int index] => _entries[index];

    public IEnumerator<GgufMetadataEntry> GetEnumerator() => ((IEnumerable<GgufMetadataEntry>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public GgufMetadataEntry? Find(string key) => _byKey.GetValueOrDefault(key);

    public string GetString(string key) => GetStringOrNull(key) ?? throw Missing(key);

    public string? GetStringOrNull(string key) => Find(key) is { } e ? (string)Expect(e, GgufValueType.String) : null;

    /// <summary>Any integer type as a long (a uint64 above long.MaxValue is an error).</summary>
    public long GetInteger(string key) => GetIntegerOrNull(key) ?? throw Missing(key);

    public long? GetIntegerOrNull(string key) => Find(key) is { } e ? ToInt64(e, e.Value, e.Type, "integer") : null;

    /// <summary>Any integer type, range-checked to int.</summary>
    public int GetInt32(string key)
    {
        var value = GetInteger(key);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw OutOfRange(Find(key)!, value, "int32");
    }

    /// <summary>Any integer type, range-checked to uint.</summary>
    public uint GetUInt32(string key)
    {
        var value = GetInteger(key);
        return value is >= 0 and <= uint.MaxValue ? (uint)value : throw OutOfRange(Find(key)!, value, "uint32");
    }

    /// <summary>A float32 or float64 value as float.</summary>
    public float GetFloat(string key) => GetFloatOrNull(key) ?? throw Missing(key);

    public float? GetFloatOrNull(string key) => Find(key) switch
    {
        null => null,
        { Type: GgufValueType.Float32, Value: float f } => f,
        { Type: GgufValueType.Float64, Value: double d } => (float)d,
        var e => throw WrongType(e, "float32 or float64"),
    };

    public bool GetBool(string key) => GetBoolOrNull(key) ?? throw Missing(key);

    public bool? GetBoolOrNull(string key) => Find(key) is { } e ? (bool)Expect(e, GgufValueType.Bool) : null;

    /// <summary>An array of strings (a copy of the array; the strings are shared).</summary>
    public string[] GetStringArray(string key) => (string[])((string[])ExpectArray(Require(key), GgufValueType.String)).Clone();

    /// <summary>An array of float32 (a copy).</summary>
    public float[] GetFloatArray(string key) => (float[])((float[])ExpectArray(Require(key), GgufValueType.Float32)).Clone();

    /// <summary>An array of any integer element type, each element range-checked to int.</summary>
    public int[] GetInt32Array(string key)
    {
        var entry = Require(key);
        if (entry.Type != GgufValueType.Array || entry.ElementType is not { } elementType || !GgufValueTypes.IsInteger(elementType))
            throw WrongType(entry, "array of an integer type");
        if (entry.Value is int[] ints)
            return (int[])ints.Clone();

        var source = (Array)entry.Value;
        var result = new int[source.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var value = ToInt64(entry, source.GetValue(i)!, elementType, "integer");
            result[i] = value is >= int.MinValue and <= int.MaxValue
                ? (int)value
                : throw OutOfRange(entry, value, $"int32 (element {i})");
        }
        return result;
    }

    private GgufMetadataEntry Require(string key) => Find(key) ?? throw Missing(key);

    private static object Expect(GgufMetadataEntry entry, GgufValueType type) =>
        entry.Type == type ? entry.Value : throw WrongType(entry, GgufValueTypes.Name(type));

    private static object ExpectArray(GgufMetadataEntry entry, GgufValueType elementType) =>
        entry.Type == GgufValueType.Array && entry.ElementType == elementType
            ? entry.Value
            : throw WrongType(entry, "array of " + GgufValueTypes.Name(elementType));

    private static long ToInt64(GgufMetadataEntry entry, object value, GgufValueType type, string expected) => type switch
    {
        GgufValueType.UInt8 => (byte)value,
        GgufValueType.Int8 => (sbyte)value,
        GgufValueType.UInt16 => (ushort)value,
        GgufValueType.Int16 => (short)value,
        GgufValueType.UInt32 => (uint)value,
        GgufValueType.Int32 => (int)value,
        GgufValueType.Int64 => (long)value,
        GgufValueType.UInt64 => (ulong)value <= long.MaxValue
            ? (long)(ulong)value
            : throw new GgufFormatException(entry.Key, entry.Offset, $"metadata '{entry.Key}' = {(ulong)value} does not fit in int64"),
        _ => throw WrongType(entry, expected),
    };

    private static GgufFormatException Missing(string key) => new(key, -1, $"metadata '{key}' is missing");

    private static GgufFormatException WrongType(GgufMetadataEntry entry, string expected) =>
        new(entry.Key, entry.Offset, $"metadata '{entry.Key}' is {entry.TypeName}, expected {expected}");

    private static GgufFormatException OutOfRange(GgufMetadataEntry entry, long value, string target) =>
        new(entry.Key, entry.Offset, $"metadata '{entry.Key}' = {value} is out of range for {target}");
}

using System.Buffers.Binary;
using System.Text;
using Tessera.Tensors;

namespace Tessera.Gguf.Tests;

/// <summary>
/// Emits GGUF bytes field by field so a test can corrupt exactly one thing. Every byte is labelled
/// with the field the reader must name when the file ends there (see <see cref="ExpectedFieldIfTruncatedAt"/>).
/// </summary>
internal sealed class RawGguf
{
    public const uint Magic = 0x46554747;

    private readonly List<byte> _bytes = [];
    private readonly List<(long Start, long End, string? Field)> _spans = [];
    private readonly List<(long End, long MinBytes, string Field)> _claims = [];
    private int _keyIndex;
    private int _tensorIndex;

    /// <summary>Label used by the low-level writers when none is given.</summary>
    public string? Current { get; set; }

    public long Length => _bytes.Count;

    public byte[] ToArray() => _bytes.ToArray();

    // ---- low level ----

    public RawGguf Bytes(ReadOnlySpan<byte> bytes, string? field = null)
    {
        var start = _bytes.Count;
        _bytes.AddRange(bytes.ToArray());
        _spans.Add((start, _bytes.Count, field ?? Current));
        return this;
    }

    public RawGguf U8(byte value, string? field = null) => Bytes([value], field);

    public RawGguf U16(ushort value, string? field = null)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return Bytes(b, field);
    }

    public RawGguf U32(uint value, string? field = null)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Bytes(b, field);
    }

    public RawGguf U64(ulong value, string? field = null)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Bytes(b, field);
    }

    /// <summary>A GGUF string from raw bytes: uint64 length then the bytes.</summary>
    public RawGguf Str(byte[] utf8, string? field = null) => U64((ulong)utf8.Length, field).Bytes(utf8, field);

    public RawGguf Str(string text, string? field = null) => Str(Encoding.UTF8.GetBytes(text), field);

    public RawGguf Zeros(long count, string? field = null) => Bytes(new byte[count], field);

    /// <summary>Zero bytes up to a multiple of <paramref name="alignment"/>.</summary>
    public RawGguf Pad(long alignment, string? field = null) => Zeros((alignment - Length % alignment) % alignment, field);

    // ---- structure ----

    /// <summary>magic, version, tensor_count, kv_count.</summary>
    public RawGguf Header(ulong tensorCount, ulong kvCount, uint version = 3, uint magic = Magic)
    {
        U32(magic, "magic").U32(version, "version");
        U64(tensorCount, "tensor_count");
        _claims.Add((Length, (long)Math.Min(tensorCount * 33, long.MaxValue), "tensor_count"));
        U64(kvCount, "kv_count");
        _claims.Add((Length, (long)Math.Min(kvCount * 14, long.MaxValue), "kv_count"));
        return this;
    }

    /// <summary>The key of the next metadata entry; the value's bytes are then labelled with the key.</summary>
    public RawGguf Key(string key) => Key(Encoding.UTF8.GetBytes(key), key);

    public RawGguf Key(byte[] utf8, string label) => Named(utf8, $"metadata[{_keyIndex++}].key", label);

    public RawGguf KvString(string key, string value) => Key(key).U32((uint)GgufValueType.String).Str(value);

    public RawGguf KvU32(string key, uint value) => Key(key).U32((uint)GgufValueType.UInt32).U32(value);

    public RawGguf KvU16(string key, ushort value) => Key(key).U32((uint)GgufValueType.UInt16).U16(value);

    public RawGguf KvI32(string key, int value) => Key(key).U32((uint)GgufValueType.Int32).U32((uint)value);

    public RawGguf KvBool(string key, bool value) => Key(key).U32((uint)GgufValueType.Bool).U8(value ? (byte)1 : (byte)0);

    public RawGguf KvStrings(string key, params string[] values)
    {
        Key(key).U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64((ulong)values.Length);
        foreach (var v in values)
            Str(v);
        return this;
    }

    /// <summary>The name of the next tensor info; the rest of the info is labelled with the name.</summary>
    public RawGguf TensorName(string name) => TensorName(Encoding.UTF8.GetBytes(name), name);

    public RawGguf TensorName(byte[] utf8, string label) => Named(utf8, $"tensor[{_tensorIndex++}].name", label);

    /// <summary>A key or tensor name labelled <paramref name="field"/>; what follows is labelled <paramref name="label"/>.</summary>
    private RawGguf Named(byte[] utf8, string field, string label)
    {
        Str(utf8, field);
        Current = label;
        return this;
    }

    /// <summary>A whole tensor info: name, n_dims, dims, type, offset.</summary>
    public RawGguf Tensor(string name, ulong[] dims, uint type, ulong offset)
    {
        TensorName(name).U32((uint)dims.Length);
        foreach (var d in dims)
            U64(d);
        return U32(type).U64(offset);
    }

    public RawGguf Tensor(string name, long[] dims, GgmlType type, long offset) =>
        Tensor(name, dims.Select(d => (ulong)d).ToArray(), (uint)type, (ulong)offset);

    /// <summary>
    /// The field the reader must name when the file is cut to <paramref name="length"/> bytes: a count
    /// that no longer fits in what remains, else the field holding the first missing byte; null when
    /// the cut loses nothing the reader needs.
    /// </summary>
    public string? ExpectedFieldIfTruncatedAt(long length)
    {
        foreach (var (end, minBytes, field) in _claims)
        {
            if (length >= end && length - end < minBytes)
                return field;
        }
        foreach (var (start, end, field) in _spans)
        {
            if (length >= start && length < end)
                return field;
        }
        return null;
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Tessera.Gguf.Reading;

/// <summary>
/// Reads little-endian fields from a block of memory with 64-bit positions. Every read checks the
/// bytes that remain, so running off the end becomes a <see cref="GgufFormatException"/> naming the
/// field being read (set with <see cref="Enter"/>) instead of an access violation.
/// </summary>
internal sealed unsafe class GgufCursor
{
    /// <summary>Strict UTF-8: invalid bytes throw instead of turning into U+FFFD.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte* _start;
    private readonly string _source;
    private string _field = "magic";
    private string _subject = "header";

    public GgufCursor(byte* start, long length, string source)
    {
        _start = start;
        Length = length;
        _source = source;
    }

    public long Length { get; }

    public long Position { get; private set; }

    public long Remaining => Length - Position;

    /// <summary>Names what is read next: <paramref name="field"/> for <see cref="GgufFormatException.Field"/>,
    /// <paramref name="subject"/> to open the message (e.g. "metadata 'general.name'").</summary>
    public void Enter(string field, string subject)
    {
        _field = field;
        _subject = subject;
    }

    public GgufFormatException Error(string detail, long offset) => new(_field, offset, $"{_source}: {_subject}: {detail}");

    public GgufFormatException Error(string detail) => Error(detail, Position);

    /// <summary>Claims <paramref name="count"/> bytes and returns a pointer to them.</summary>
    public byte* Take(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Error($"{what} needs {count} bytes at 0x{Position:X} but the file ends at 0x{Length:X}");
        var p = _start + Position;
        Position += count;
        return p;
    }

    public byte ReadByte(string what) => *Take(1, what);

    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(Take(2, what), 2));

    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(Take(4, what), 4));

    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(Take(8, what), 8));

    /// <summary>
    /// Reads a uint64 count of items that each take at least <paramref name="minItemBytes"/> bytes, and
    /// rejects it when it exceeds <paramref name="cap"/> or cannot fit in the bytes that remain.
    /// </summary>
    public long ReadCount(string what, long cap, long minItemBytes)
    {
        var at = Position;
        var count = ReadUInt64(what);
        if (count > (ulong)cap)
            throw Error($"{what} {count} exceeds the limit of {cap}", at);
        if ((long)count > Remaining / minItemBytes)
            throw Error($"{what} {count} cannot fit in the {Remaining} bytes left after 0x{Position:X} (at least {minItemBytes} bytes each)", at);
        return (long)count;
    }

    /// <summary>Reads a string: uint64 byte length, then that many bytes of strict UTF-8 (no NUL).</summary>
    public string ReadString(string what, long maxBytes)
    {
        var at = Position;
        if (Remaining < sizeof(ulong))
            throw Error($"{what} length needs 8 bytes at 0x{Position:X} but the file ends at 0x{Length:X}");
        var length = ReadUInt64(what);
        if (length > (ulong)maxBytes)
            throw Error($"{what} length {length} exceeds the limit of {maxBytes} bytes", at);
        if (length > (ulong)Remaining)
            throw Error($"{what} length {length} runs past the end of the file (0x{Length:X}) from 0x{Position:X}", at);
        if (length == 0)
            return string.Empty;
        var bytesAt = Position;
        var bytes = Take((long)length, what);
        try
        {
            return StrictUtf8.GetString(bytes, (int)length);
        }
        catch (DecoderFallbackException e)
        {
            throw Error($"{what} is not valid UTF-8 (bad byte at +{e.Index})", bytesAt);
        }
    }
}

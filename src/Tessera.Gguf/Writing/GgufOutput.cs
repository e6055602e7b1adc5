using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Tessera.Gguf.Writing;

/// <summary>
/// Little-endian field writer over a stream with one large buffer, tracking the number of bytes
/// written (the GGUF offset) so padding can be computed without seeking.
/// </summary>
internal sealed class GgufOutput
{
    /// <summary>1 MiB: big enough that the stream sees few large writes, small enough to keep around.</summary>
    private const int BufferBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private int _used;

    public GgufOutput(Stream stream) => _stream = stream;

    /// <summary>Bytes written since the start of the GGUF file.</summary>
    public long Position { get; private set; }

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    /// <summary>uint64 byte length followed by the UTF-8 bytes, no terminator.</summary>
    public void WriteString(string value)
    {
        var length = StrictUtf8.GetByteCount(value);
        WriteUInt64((ulong)length);
        if (length <= BufferBytes)
            StrictUtf8.GetBytes(value, Reserve(length));
        else
            WriteBytes(StrictUtf8.GetBytes(value));
    }

    /// <summary>Writes the raw bytes of little-endian numbers (the host is little-endian).</summary>
    public void WriteNumbers<T>(ReadOnlySpan<T> values) where T : unmanaged => WriteBytes(MemoryMarshal.AsBytes(values));

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= BufferBytes - _used)
        {
            bytes.CopyTo(_buffer.AsSpan(_used));
            _used += bytes.Length;
        }
        else
        {
            Flush();
            _stream.Write(bytes); // large blocks go straight through
        }
        Position += bytes.Length;
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/>.</summary>
    public void PadTo(long alignment)
    {
        var padding = (int)((alignment - Position % alignment) % alignment);
        Reserve(padding).Clear();
    }

    public void Flush()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    private Span<byte> Reserve(int count)
    {
        if (count > BufferBytes - _used)
            Flush();
        if (count > BufferBytes)
            throw new ArgumentOutOfRangeException(nameof(count), count, "field larger than the write buffer");
        var span = _buffer.AsSpan(_used, count);
        _used += count;
        Position += count;
        return span;
    }
}

namespace Tessera.Gguf.Writing;

/// <summary>
/// The write-only stream handed to a streamed tensor's callback: it forwards bytes to the file and
/// counts them, refusing to go past the tensor's byte size so a wrong writer is caught at once.
/// </summary>
internal sealed class TensorDataStream(GgufOutput output, string tensorName, long byteSize) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > byteSize - Written)
            throw new InvalidOperationException(
                $"tensor '{tensorName}': the data writer wrote more than the tensor's {byteSize} bytes");
        output.WriteBytes(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

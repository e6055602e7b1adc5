using Tessera.Tensors;

namespace Tessera.Gguf.Reading;

/// <summary>
/// A whole file read into private memory in 2 MiB pages where the system gives them (<see cref="HugePages"/>, see
/// <see cref="GgufLoadMode.Copy"/>). The read runs in 32 MiB chunks on the thread pool, since one thread copying from
/// the page cache is slower than the memory allows.
/// </summary>
internal sealed unsafe class CopiedGgufMemory : GgufMemory
{
    private const int ChunkBytes = 32 << 20;

    private byte* _buffer;

    public CopiedGgufMemory(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        long length = stream.Length;
        Length = length;
        if (length == 0)
            return; // the header parser reports an empty file as truncated
        _buffer = HugePages.Allocate((nuint)length);
        Pointer = _buffer;
        try
        {
            var handle = stream.SafeFileHandle;
            nint buffer = (nint)_buffer;
            Parallel.For(0, (int)((length + ChunkBytes - 1) / ChunkBytes), chunk =>
            {
                long start = (long)chunk * ChunkBytes, end = Math.Min(length, start + ChunkBytes);
                while (start < end)
                {
                    int read = RandomAccess.Read(handle, new Span<byte>((byte*)buffer + start, (int)(end - start)), start);
                    if (read == 0)
                        throw new IOException($"{path}: the file ended at byte {start} while reading {length} bytes (was it truncated meanwhile?)");
                    start += read;
                }
            });
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        HugePages.Free(_buffer);
        _buffer = null;
    }
}

using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Tessera.Gguf.Reading;

/// <summary>A block of readable bytes that stays at a fixed address until disposed.</summary>
internal abstract unsafe class GgufMemory : IDisposable
{
    public byte* Pointer { get; protected init; }

    public long Length { get; protected init; }

    public abstract void Dispose();
}

/// <summary>A whole file mapped read-only; works for files beyond 2 GiB.</summary>
internal sealed unsafe class MappedGgufMemory : GgufMemory
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private bool _acquired;

    public MappedGgufMemory(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        Length = stream.Length;
        if (Length == 0)
            return; // an empty file cannot be mapped; the header parser reports it as truncated

        _file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _acquired = true;
            Pointer = p + _view.PointerOffset;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        if (_acquired)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _acquired = false;
        }
        _view?.Dispose();
        _file?.Dispose();
    }
}

/// <summary>Bytes already in managed memory, pinned while the file is open.</summary>
internal sealed unsafe class PinnedGgufMemory : GgufMemory
{
    private MemoryHandle _handle;

    public PinnedGgufMemory(ReadOnlyMemory<byte> bytes)
    {
        _handle = bytes.Pin();
        Pointer = (byte*)_handle.Pointer;
        Length = bytes.Length;
    }

    public override void Dispose() => _handle.Dispose();
}

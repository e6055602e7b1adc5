using System.Runtime.InteropServices;

namespace Tessera.Kernels.Memory;

/// <summary>
/// A growable, 64-byte aligned native buffer reused between kernel calls (quantized activations, per-thread partial
/// results). It only grows, so steady-state decoding allocates nothing. Not thread-safe: one owner at a time.
/// </summary>
public sealed unsafe class ScratchArena : IDisposable
{
    /// <summary>Cache-line (and AVX-512 vector) alignment.</summary>
    public const int Alignment = 64;

    private byte* _buffer;
    private nuint _capacity;
    private bool _disposed;

    public nuint Capacity => _capacity;

    /// <summary>Returns a 64-byte aligned buffer of at least <paramref name="bytes"/> bytes; earlier contents are not kept when it grows.</summary>
    public byte* Get(nuint bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (bytes > _capacity)
        {
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
            _capacity = 0;
            // Round up to a whole number of cache lines and leave room so small growth does not reallocate every call.
            nuint size = (bytes + bytes / 4 + Alignment - 1) & ~(nuint)(Alignment - 1);
            _buffer = (byte*)NativeMemory.AlignedAlloc(size, Alignment);
            _capacity = size;
        }
        return _buffer;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_buffer);
        _buffer = null;
        _capacity = 0;
        _disposed = true;
        GC.SuppressFinalize(this);
    }

    ~ScratchArena() => NativeMemory.AlignedFree(_buffer);
}

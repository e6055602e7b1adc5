using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Threading;

namespace Tessera.Kernels.Memory;

/// <summary>
/// The machine's memory read rate, the bound decode is judged against: a buffer far larger than any cache read by the
/// pool's threads, each summing one contiguous slice as fast as a core can. Generation reads every weight once a token,
/// so tokens/s x weight bytes a token over this rate is the share of the machine's bandwidth it turns into tokens.
/// </summary>
public sealed unsafe class MemoryReadProbe : IDisposable
{
    /// <summary>Bytes read per measurement: eight times a 32 MiB last-level cache, so cache hits do not count.</summary>
    public const long DefaultBytes = 256L << 20;

    private byte* _buffer;

    public MemoryReadProbe(long bytes = DefaultBytes)
    {
        if (bytes < 128 || bytes % 128 != 0)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "a positive multiple of 128");
        Bytes = bytes;
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        // Touch every page: an untouched page reads as the shared zero page, which is cached, not memory.
        NativeMemory.Fill(_buffer, (nuint)bytes, 1);
    }

    /// <summary>Size of the buffer each measurement reads.</summary>
    public long Bytes { get; }

    /// <summary>
    /// Bytes per second the pool's <paramref name="threads"/> read, the best of <paramref name="repeats"/> reads of the
    /// buffer (other load only ever slows a read, so the best is the machine's rate at that moment).
    /// </summary>
    public double BytesPerSecond(KernelThreadPool pool, int threads, int repeats = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            long bytes = Read(pool, threads);
            best = Math.Max(best, bytes / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    /// <summary>One read of the buffer by <paramref name="threads"/> of the pool, each reading a contiguous slice;
    /// returns the bytes read.</summary>
    public long Read(KernelThreadPool pool, int threads)
    {
        ObjectDisposedException.ThrowIf(_buffer == null, this);
        return Read(pool, threads, _buffer, Bytes);
    }

    /// <summary>The same read over any <paramref name="bytes"/> at <paramref name="start"/> (a benchmark's weight
    /// matrix): each thread reads one contiguous slice, a multiple of 128 bytes; returns the bytes read.</summary>
    public static long Read(KernelThreadPool pool, int threads, byte* start, long bytes)
    {
        if (threads < 1 || threads > pool.ThreadCount)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"1..{pool.ThreadCount} threads");
        var state = new Slices((nint)start, bytes / threads / 128 * 128);
        pool.Run(threads, &ReadSlice, &state);
        return state.Length * threads;
    }

    private readonly record struct Slices(nint Buffer, long Length);

    private static void ReadSlice(void* state, int task, int threadIndex)
    {
        var slices = *(Slices*)state;
        s_sink = ReadRange((byte*)slices.Buffer + task * slices.Length, slices.Length);
    }

    /// <summary>Reads <paramref name="bytes"/> (a multiple of 128) from <paramref name="start"/> as fast as a core can:
    /// four independent 256-bit loads per step. Returns the OR of everything read, which the probe stores: when only
    /// one element of it was kept alive, .NET 10's JIT dropped three of the four loads, so the loop touched one cache
    /// line in two and reported up to twice the machine's read rate.</summary>
    public static Vector256<byte> ReadRange(byte* start, long bytes)
    {
        var p = (Vector256<byte>*)start;
        var end = p + bytes / 32;
        Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
        for (; p < end; p += 4)
        {
            a0 |= p[0];
            a1 |= p[1];
            a2 |= p[2];
            a3 |= p[3];
        }
        return a0 | a1 | a2 | a3;
    }

    /// <summary>Where the probe's reads leave their result, so they have an observable effect.</summary>
    private static Vector256<byte> s_sink;

    public void Dispose()
    {
        if (_buffer == null)
            return;
        NativeMemory.AlignedFree(_buffer);
        _buffer = null;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Memory;

/// <summary>
/// Software prefetch of the weight stream, a fixed distance ahead of the rows being multiplied. The integer dot
/// products keep a core busy, and without explicit prefetch the weight stream from DRAM and the arithmetic barely
/// overlap (decode ran at ~60% of the cache-resident kernel rate). Every cache line is requested (every other line
/// measured 15% slower: the adjacent-line prefetcher does not make up for it). 4 KiB ahead measured best on TinyLlama
/// decode (2 KiB and 8-32 KiB were slower, 3-6 KiB the same within noise).
/// </summary>
internal static unsafe class WeightPrefetch
{
    private const long Distance = 4096;
    private const int CacheLine = 64;

    /// <summary>Requests the <paramref name="bytes"/> that lie <see cref="Distance"/> beyond <paramref name="row"/>.
    /// Prefetch is a hint that never faults, so reaching past the matrix's end is harmless.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(byte* row, long bytes)
    {
        if (!Sse.IsSupported)
            return;
        for (long offset = 0; offset < bytes; offset += CacheLine)
            Sse.Prefetch0(row + Distance + offset);
    }
}

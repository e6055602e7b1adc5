using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Memory;

/// <summary>
/// Software prefetch of the weight stream. Without it the weight stream from DRAM and the arithmetic barely overlap
/// on a core (the hardware prefetchers of this class of machine do not keep up). Every cache line is requested (every
/// other line measured 15% slower). Two forms: the main decode dot products call <see cref="Stream"/> from inside
/// their loops, a line or two per step; the other kernels get a whole row requested 4 KiB ahead before it is
/// multiplied (<see cref="Ahead"/>; 2 KiB and 8-32 KiB were slower).
/// </summary>
internal static unsafe class WeightPrefetch
{
    private const long Distance = 4096;
    private const int CacheLine = 64;

    /// <summary>
    /// How far ahead a decode dot product requests weights while it runs (<see cref="Stream"/>). Spreading the requests
    /// through the arithmetic (a line or two per step) keeps the core's ~16 line-fill buffers busy all the time, where a
    /// burst of a whole row's lines at the row's start stalls until they drain and then leaves them idle while the row
    /// is computed: Q8_0 generation went from 18-19 to 24 tokens/s. 2 KiB measured best (1 KiB and 4 KiB were slower).
    /// </summary>
    private const long StreamDistance = 2048;

    /// <summary>
    /// The same for F32 rows (<see cref="StreamFar"/>): they stream 4 times the bytes per instruction of the quantized
    /// dots, so at the same memory latency more lines must be in flight. F32 decode (TinyLlama shape, 4.4 GB per token)
    /// went from 14.7 to 15.3-15.5 tokens/s at 4 KiB; 8 KiB was no better, nor was 4 KiB for F16 rows.
    /// </summary>
    private const long FarStreamDistance = 4096;

    /// <summary>Requests the <paramref name="bytes"/> that lie <see cref="Distance"/> beyond <paramref name="row"/>.
    /// Prefetch is a hint that never faults, so reaching past the matrix's end is harmless.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(byte* row, long bytes) => Lines(row + Distance, checked((int)bytes));

    /// <summary>From inside a dot product's loop: requests the lines of the <paramref name="bytes"/> weight bytes that
    /// lie <see cref="StreamDistance"/> beyond <paramref name="weights"/>, where the loop will be a few steps later.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stream(byte* weights, int bytes) => Lines(weights + StreamDistance, bytes);

    /// <summary>Requests the first <see cref="StreamDistance"/> bytes of a stream that is about to start, the lines its
    /// dot product's own requests will not cover (a matrix-vector task's streams start cold otherwise: Q4_0 decode
    /// +1-2% in four alternating pairs, the MoE shape, with many small tasks, ahead in three of three).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Opening(byte* weights) => Lines(weights, (int)StreamDistance);

    /// <summary><see cref="Stream"/> for F32 rows, <see cref="FarStreamDistance"/> ahead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StreamFar(byte* weights, int bytes) => Lines(weights + FarStreamDistance, bytes);

    /// <summary>Requests every cache line of the <paramref name="bytes"/> at <paramref name="start"/> (the forms above,
    /// and the KV rows attention is about to read). The count is an int so that the JIT unrolls a constant one (a dot
    /// product's step) into straight prefetches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines(byte* start, int bytes)
    {
        if (!Sse.IsSupported)
            return;
        for (int offset = 0; offset < bytes; offset += CacheLine)
            Sse.Prefetch0(start + offset);
    }
}

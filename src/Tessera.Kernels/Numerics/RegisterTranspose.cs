using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Numerics;

/// <summary>8 x 8 blocks of 32-bit values transposed in registers: token panels are packed with it and tile results
/// stored with it, where element-by-element copying cost as much as the products on small models. The shuffles move
/// bits only, so any 32-bit lanes (floats, BF16 pairs) pass through unchanged.</summary>
internal static unsafe class RegisterTranspose
{
    /// <summary>destination[j * destinationStride + r] = source[r * sourceStride + j] for r, j in 0..7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        nint s = sourceStride, d = destinationStride;
        Transpose8(Vector256.Load(source).AsInt32(), Vector256.Load(source + s).AsInt32(),
            Vector256.Load(source + 2 * s).AsInt32(), Vector256.Load(source + 3 * s).AsInt32(),
            Vector256.Load(source + 4 * s).AsInt32(), Vector256.Load(source + 5 * s).AsInt32(),
            Vector256.Load(source + 6 * s).AsInt32(), Vector256.Load(source + 7 * s).AsInt32(),
            out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        c0.AsSingle().Store(destination); c1.AsSingle().Store(destination + d);
        c2.AsSingle().Store(destination + 2 * d); c3.AsSingle().Store(destination + 3 * d);
        c4.AsSingle().Store(destination + 4 * d); c5.AsSingle().Store(destination + 5 * d);
        c6.AsSingle().Store(destination + 6 * d); c7.AsSingle().Store(destination + 7 * d);
    }

    /// <summary>The same transpose on eight vectors of 32-bit lanes held in registers: lane r of c<i>j</i> is lane j
    /// of r<i>r</i>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8(Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3,
        Vector256<int> r4, Vector256<int> r5, Vector256<int> r6, Vector256<int> r7,
        out Vector256<int> c0, out Vector256<int> c1, out Vector256<int> c2, out Vector256<int> c3,
        out Vector256<int> c4, out Vector256<int> c5, out Vector256<int> c6, out Vector256<int> c7)
    {
        // Pairs of rows interleaved, then quads, per 128-bit lane; the lane swap finishes each column.
        var t0 = Avx2.UnpackLow(r0, r1).AsInt64(); var t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        var t2 = Avx2.UnpackLow(r2, r3).AsInt64(); var t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        var t4 = Avx2.UnpackLow(r4, r5).AsInt64(); var t5 = Avx2.UnpackHigh(r4, r5).AsInt64();
        var t6 = Avx2.UnpackLow(r6, r7).AsInt64(); var t7 = Avx2.UnpackHigh(r6, r7).AsInt64();
        var u0 = Avx2.UnpackLow(t0, t2).AsInt32(); var u1 = Avx2.UnpackHigh(t0, t2).AsInt32();
        var u2 = Avx2.UnpackLow(t1, t3).AsInt32(); var u3 = Avx2.UnpackHigh(t1, t3).AsInt32();
        var u4 = Avx2.UnpackLow(t4, t6).AsInt32(); var u5 = Avx2.UnpackHigh(t4, t6).AsInt32();
        var u6 = Avx2.UnpackLow(t5, t7).AsInt32(); var u7 = Avx2.UnpackHigh(t5, t7).AsInt32();
        c0 = Avx2.Permute2x128(u0, u4, 0x20); c4 = Avx2.Permute2x128(u0, u4, 0x31);
        c1 = Avx2.Permute2x128(u1, u5, 0x20); c5 = Avx2.Permute2x128(u1, u5, 0x31);
        c2 = Avx2.Permute2x128(u2, u6, 0x20); c6 = Avx2.Permute2x128(u2, u6, 0x31);
        c3 = Avx2.Permute2x128(u3, u7, 0x20); c7 = Avx2.Permute2x128(u3, u7, 0x31);
    }
}

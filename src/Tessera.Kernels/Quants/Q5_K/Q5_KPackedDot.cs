using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q4_K;

namespace Tessera.Kernels.Quants.Q5_K;

/// <summary>
/// Q5_K weights · <see cref="SubBlockActivations"/> with AVX-512 (F, BW, VBMI): <see cref="Q4_KPackedDot"/>'s steps
/// with the fifth bit added. A Q5_K block is Q4_K's (d, dmin, six-bit scales and mins, 128 nibble bytes in the same
/// order) plus 32 bytes qh, where bit j of qh[l] is the fifth bit of element l of sub-block j. A 64-byte load of
/// nibbles holds sub-blocks {0,2} in its low nibbles and {1,3} in its high ones (then {4,6} and {5,7}), element l of
/// each at byte l of its 32-byte half, so qh repeated in both halves of a register lines up with all four: a test
/// against the sub-blocks' bits (one pattern per half) gives 0x10, ORed onto the nibbles. Levels 0..31 keep
/// vpmaddubsw within int16 (2 * 31 * 127) and the scaled int32 lanes within 2 * 63 * 7874. For decode (matvec) only:
/// batches keep the plain entry's panel.
/// </summary>
internal static unsafe class Q5_KPackedDot
{
    private const int ScalesOffset = 4;

    public static bool IsSupported => Q4_KPackedDot.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var (lanes02, lanes13, lanes46, lanes57) = Q4_KPackedDot.ScaleIndices();
        var bits = new FifthBits(Bits(0, 2), Bits(1, 3), Bits(4, 6), Bits(5, 7));
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / SubBlockActivations.BlockSize; b++, weights += Q5_KDot.BlockBytes, activations += SubBlockActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, Q5_KDot.BlockBytes);
            var (scales, mins) = KQuantScales.DecodePacked(weights + ScalesOffset);
            var scaleBytes = Q4_KPackedDot.ScaleBytes(scales);
            var qh = Vector256.Load(weights + Q5_KDot.HighBitsOffset);
            var highBits = Avx512F.InsertVector256(qh.ToVector512Unsafe(), qh, 1);
            var (low, high) = Q4_KPackedDot.Levels(weights + Q5_KDot.QuantsOffset);
            var sums = Q4_KPackedDot.Scaled(low | Fifth(highBits, bits.Of02), high | Fifth(highBits, bits.Of13),
                Q4_KPackedDot.ScaleLanes(scaleBytes, lanes02), Q4_KPackedDot.ScaleLanes(scaleBytes, lanes13), activations);
            (low, high) = Q4_KPackedDot.Levels(weights + Q5_KDot.QuantsOffset + 64);
            sums += Q4_KPackedDot.Scaled(low | Fifth(highBits, bits.Of46), high | Fifth(highBits, bits.Of57),
                Q4_KPackedDot.ScaleLanes(scaleBytes, lanes46), Q4_KPackedDot.ScaleLanes(scaleBytes, lanes57), activations + 128);
            var d = Vector512.Create(halfTable[*(ushort*)weights]);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), d * Q4_KPackedDot.Scale(activations), acc);
            acc = Q4_KPackedDot.MinsStep(acc, Q4_KPackedDot.Mins(mins, halfTable[*(ushort*)(weights + 2)]), activations);
        }
        return Vector512.Sum(acc);
    }

    /// <summary>The qh bit of each sub-block pair's levels: bytes 0..31 test sub-block <c>first</c>'s bit, 32..63 the
    /// other's. Made once before the loop.</summary>
    private readonly struct FifthBits(Vector512<byte> of02, Vector512<byte> of13, Vector512<byte> of46, Vector512<byte> of57)
    {
        public readonly Vector512<byte> Of02 = of02;
        public readonly Vector512<byte> Of13 = of13;
        public readonly Vector512<byte> Of46 = of46;
        public readonly Vector512<byte> Of57 = of57;
    }

    private static Vector512<byte> Bits(int first, int second) =>
        Avx512F.InsertVector256(Vector512.Create((byte)(1 << first)), Vector256.Create((byte)(1 << second)), 1);

    /// <summary>0x10 in the bytes whose qh bit (<paramref name="bit"/>) is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Fifth(Vector512<byte> highBits, Vector512<byte> bit) =>
        Vector512.Equals(highBits & bit, bit) & Vector512.Create((byte)0x10);
}

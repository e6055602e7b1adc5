using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q2_K;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q6_K;

/// <summary>
/// Q6_K weights · Q8_K activations with AVX-512 (F, BW), in the activations' own order. A 64-byte load of one half's
/// ql holds values l (low nibbles of bytes 0..31) and 32 + l (of bytes 32..63), and its high nibbles values 64 + l and
/// 96 + l: values 0..63 and 64..127 of the half in order. qh[l] holds their high bits in bit pairs 0-1, 2-3, 4-5 and
/// 6-7, so qh in the low half of a register and qh &gt;&gt; 2 in the high half line up with both: shifted left by 4
/// and masked with 0x30 for the low nibbles, masked as it is for the high ones. Each product's 32 int16 lanes cover
/// four 16-value groups, whose scales vpermw spreads; the -32 level offset comes off once per block as
/// 32 Σ_g scale_g Σ x_g in int32 lanes before the one conversion. For decode (matvec) only: batches keep the plain
/// entry's panel.
/// </summary>
internal static unsafe class Q6_KPackedDot
{
    public static bool IsSupported => Avx512BW.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        // Lanes 8g..8g+7 take group g of a 64-value chunk; chunk c of the block adds 4c.
        var first = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        var four = Vector512.Create((short)4);
        var (lanes0, lanes1, lanes2, lanes3) = (first, first + four, first + four + four, first + four + four + four);
        var nibble = Vector512.Create((byte)0x0F);
        var highBits = Vector512.Create((byte)0x30);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / Q6_KDot.BlockSize; b++, weights += Q6_KDot.BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, Q6_KDot.BlockBytes);
            var scales = Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(weights + Q6_KDot.ScalesOffset)));
            var scaleWords = scales.ToVector512Unsafe();
            sbyte* a = Q8_KBlock.Quants(activations);
            var sums = Half(weights, weights + Q6_KDot.HighBitsOffset, a, scaleWords, lanes0, lanes1, nibble, highBits)
                + Half(weights + 64, weights + Q6_KDot.HighBitsOffset + 32, a + 128, scaleWords, lanes2, lanes3, nibble, highBits);
            var offset = Avx2.MultiplyAddAdjacent(Vector256.Load(Q8_KBlock.Sums(activations)), scales);
            sums -= Vector256.ShiftLeft(offset, 5).ToVector512();
            float d = halfTable[*(ushort*)(weights + Q6_KDot.ScaleOffset)] * Q8_KBlock.Scale(activations);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), Vector512.Create(d), acc);
        }
        return Vector512.Sum(acc);
    }

    /// <summary>Σ scale_g (level · x) over one 128-value half, in 16 int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Half(byte* ql, byte* qh, sbyte* x, Vector512<short> scaleWords, Vector512<short> lowLanes,
        Vector512<short> highLanes, Vector512<byte> nibble, Vector512<byte> highBits)
    {
        var nibbles = Vector512.Load(ql);
        var high = Vector256.Load(qh).AsUInt16();
        var pairs = Avx512F.InsertVector256(high.ToVector512Unsafe(), high >> 2, 1);
        var low = (nibbles & nibble) | ((pairs << 4).AsByte() & highBits);
        var upper = ((nibbles.AsUInt16() >> 4).AsByte() & nibble) | (pairs.AsByte() & highBits);
        return GroupScaleLanes.Scaled(low, GroupScaleLanes.Spread(scaleWords, lowLanes), (byte*)x)
            + GroupScaleLanes.Scaled(upper, GroupScaleLanes.Spread(scaleWords, highLanes), (byte*)(x + 64));
    }
}

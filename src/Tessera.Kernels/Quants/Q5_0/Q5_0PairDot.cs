using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Nibbles;

namespace Tessera.Kernels.Quants.Q5_0;

/// <summary>
/// Q5_0 weights · <see cref="PairActivations"/> with AVX2, two blocks (44 weight bytes) per step: the AVX2 Q4_0 pair
/// dot's scheme with the fifth bit added. Block 0 fills the low 128-bit lane and block 1 the high one:
/// <list type="number">
/// <item>the nibble bytes (at 6) give levels 0..15 by and / shift+and;</item>
/// <item>one vpshufb of each block's first 16 bytes spreads its qh bytes (at 2..5) so that byte e of a lane holds the qh
///   byte with element e's bit, once for the low levels and once for the high ones; a test against the byte's bit
///   makes 0x10, ORed onto the nibbles: levels 0..31;</item>
/// <item>unsigned levels times signed activations with vpmaddubsw, no sign operations, and 16 Σ x (twice the layout's
///   offset) subtracted per lane for level - 16.</item>
/// </list>
/// For decode (matvec) only: batches keep the plain entry's tiles and panel.
/// </summary>
internal static unsafe class Q5_0PairDot
{
    public const int GroupBytes = PairActivations.BlocksPerGroup * Q5_0Dot.BlockBytes;   // 44

    public static bool IsSupported => IsaSupport.Avx2;

    /// <summary>Per lane: byte e = byte 2 + e / 8 of the block (the qh byte holding bit e, e &lt; 16).</summary>
    private static Vector256<byte> LowBitsIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.Create(
            (byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var lowBits = LowBitsIndex;
        int groups = k / PairActivations.GroupSize;
        int g = 0;
        for (; g + 2 <= groups; g += 2, weights += 2 * GroupBytes, activations += 2 * PairActivations.GroupBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * GroupBytes);
            acc0 = Step(acc0, weights, activations, halfTable, lowBits);
            acc1 = Step(acc1, weights + GroupBytes, activations + PairActivations.GroupBytes, halfTable, lowBits);
        }
        if (g < groups)
            acc0 = Step(acc0, weights, activations, halfTable, lowBits);
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>acc += float(Σ (level - 16) x) * (d_w * d_x) for one pair of weight blocks and one activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> acc, byte* w, byte* a, float* halfTable, Vector256<byte> lowBitsIndex)
    {
        const int second = Q5_0Dot.BlockBytes;
        var heads = Vector256.Create(Vector128.Load(w), Vector128.Load(w + second));          // d, qh, first quants
        var nibbles = Vector256.Create(Vector128.Load(w + 6), Vector128.Load(w + second + 6));
        var mask = Vector256.Create((byte)0x0F);
        var bit = Vector256.Create(0x8040201008040201ul).AsByte();
        var fifth = Vector256.Create((byte)0x10);
        var lowBits = Avx2.Shuffle(heads, lowBitsIndex);
        var highBits = Avx2.Shuffle(heads, lowBitsIndex + Vector256.Create((byte)2));
        var low = (nibbles & mask) | (Vector256.Equals(lowBits & bit, bit) & fifth);
        var high = (Vector256.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & mask) | (Vector256.Equals(highBits & bit, bit) & fifth);

        var pairs = Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)(a + PairActivations.LowOffset)))
            + Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)(a + PairActivations.HighOffset)));
        var sums = Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1))
            - Avx2.ShiftLeftLogical(Vector256.Load((int*)(a + PairActivations.SumOffset)), 1);
        var dw = Vector256.Create(Vector128.Create(halfTable[*(ushort*)w]), Vector128.Create(halfTable[*(ushort*)(w + second)]));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), dw * Vector256.Load((float*)(a + PairActivations.ScaleOffset)), acc);
    }
}

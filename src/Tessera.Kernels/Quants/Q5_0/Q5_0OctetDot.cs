using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Nibbles;

namespace Tessera.Kernels.Quants.Q5_0;

/// <summary>
/// Q5_0 weights · <see cref="OctetActivations"/> with AVX2: the octet scheme of <see cref="NibbleOctetDot{TLevels}"/>
/// with the fifth bit added, eight blocks (176 weight bytes) per step. Each two-block step (block 2j in the low 128-bit
/// lane, 2j+1 in the high one):
/// <list type="number">
/// <item>the nibble bytes (at 6) give levels 0..15 by and / shift+and;</item>
/// <item>one vpshufb of each block's first 16 bytes spreads its qh bytes (at 2..5) so that byte e of a lane holds the qh
///   byte with element e's bit, once for the low levels and once for the high ones; a test against the byte's bit
///   makes 0x10, ORed onto the nibbles: levels 0..31;</item>
/// <item>unsigned levels times signed activations with vpmaddubsw, no sign operations; the two halves' words added
///   (|word| &lt;= 2 * 2 * 31 * 127 = 15748).</item>
/// </list>
/// Per eight blocks: one round of vphaddw (&lt;= 31496, still int16), vpmaddwd to int32, one vphaddd to a lane per
/// block (blocks 0, 2, 4, 6, 1, 3, 5, 7), minus 16 Σ x (twice the layout's offset) for level - 16; then the eight
/// scales as in the nibble octet dot. The two-block form spent a scale lookup, broadcast, multiply and conversion
/// on every step (matvec at 0.55 of a plain read of the same memory on a Zen 3). Rows of a length that is not a
/// multiple of 256 end in two-block steps over <see cref="PairActivations"/>; Infinite or NaN weight scales are
/// reproduced only there. For decode (matvec) only: batches keep the plain entry's tiles and panel.
/// </summary>
internal static unsafe class Q5_0OctetDot
{
    /// <summary>The kernel table's block: two weight blocks (44 bytes), the pair layout's 64 values.</summary>
    public const int GroupBytes = PairActivations.BlocksPerGroup * Q5_0Dot.BlockBytes;   // 44
    private const int OctetBytes = 4 * GroupBytes;                                        // 176

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
        float* halfTable = HalfBits.Table;   // before the loop: its first access may call the class constructor
        var acc = Vector256<float>.Zero;
        var lowBits = LowBitsIndex;
        int octets = k / OctetActivations.GroupSize;
        for (int o = 0; o < octets; o++, weights += OctetBytes, activations += OctetActivations.GroupBytes)
        {
            Memory.WeightPrefetch.Stream(weights, OctetBytes);
            acc = OctetStep(acc, weights, activations, lowBits);
        }
        for (int pair = 0; pair < k % OctetActivations.GroupSize / PairActivations.GroupSize;
             pair++, weights += GroupBytes, activations += PairActivations.GroupBytes)
        {
            acc = PairStep(acc, weights, activations, halfTable, lowBits);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>acc += float(Σ (level - 16) x) * (d_w * d_x) for eight weight blocks and one octet activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> OctetStep(Vector256<float> acc, byte* w, byte* a, Vector256<byte> lowBits)
    {
        var ones = Vector256.Create((short)1);
        var first = Avx2.HorizontalAdd(StepWords(w, a, 0, lowBits), StepWords(w, a, 1, lowBits));
        var second = Avx2.HorizontalAdd(StepWords(w, a, 2, lowBits), StepWords(w, a, 3, lowBits));
        var sums = Avx2.HorizontalAdd(Avx2.MultiplyAddAdjacent(first, ones), Avx2.MultiplyAddAdjacent(second, ones))
            - Avx2.ShiftLeftLogical(Vector256.Load((int*)(a + OctetActivations.SumOffset)), 1);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), OctetActivations.Scales(w, Q5_0Dot.BlockBytes, a), acc);
    }

    /// <summary><see cref="Words"/> of step <paramref name="step"/> (0..3) of an octet: blocks 2 step and 2 step + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> StepWords(byte* w, byte* a, int step, Vector256<byte> lowBits)
    {
        byte* x = a + step * OctetActivations.StepBytes;
        return Words(w + step * GroupBytes, x, x + OctetActivations.HighOffset, lowBits);
    }

    /// <summary>acc += float(Σ (level - 16) x) * (d_w * d_x) for one pair of weight blocks and one pair activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PairStep(Vector256<float> acc, byte* w, byte* a, float* halfTable, Vector256<byte> lowBits)
    {
        var pairs = Words(w, a + PairActivations.LowOffset, a + PairActivations.HighOffset, lowBits);
        var sums = Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1))
            - Avx2.ShiftLeftLogical(Vector256.Load((int*)(a + PairActivations.SumOffset)), 1);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), PairActivations.Scales(w, Q5_0Dot.BlockBytes, a, halfTable), acc);
    }

    /// <summary>Levels 0..31 of the weight blocks at <paramref name="w"/> and the next one times their activations:
    /// vpmaddubsw words of the low and the high halves, added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Words(byte* w, byte* xLow, byte* xHigh, Vector256<byte> lowBitsIndex)
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
        return Avx2.MultiplyAddAdjacent(low, Vector256.Load((sbyte*)xLow)) + Avx2.MultiplyAddAdjacent(high, Vector256.Load((sbyte*)xHigh));
    }
}

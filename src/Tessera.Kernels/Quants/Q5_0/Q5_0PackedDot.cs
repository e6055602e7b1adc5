using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Nibbles;

namespace Tessera.Kernels.Quants.Q5_0;

/// <summary>
/// Q5_0 weights · <see cref="NibbleActivations"/> with AVX-512 (F, BW, VBMI), four blocks (88 weight bytes) per step,
/// straight from the file layout: the 512-bit Q4_0 dot's scheme with the fifth bit added. Per weight group:
/// <list type="number">
/// <item>two 64-byte loads (bytes 0..63 and 24..87, both inside the group) are the tables of three vpermt2b: the four
///   blocks' 16 nibble bytes into 64 contiguous bytes, and for each byte the qh byte holding its fifth bit, once for
///   the low levels (elements 0..15: qh bits 0..15) and once for the high ones (16..31);</item>
/// <item>a test against the byte's bit (1 &lt;&lt; element % 8) turns those into 0x10, which is ORed onto the nibbles:
///   levels 0..31;</item>
/// <item>vpmaddubsw of levels and activations (int16 pairs stay within ±15,872), vpmaddwd to int32 lanes, minus 16 Σ x
///   (twice the layout's 8 Σ x offset) for level - 16;</item>
/// <item>the scales as in the Q4_0 dot: vpermt2w puts each block's half in the top of its four lanes, an arithmetic
///   shift by 3 and a mask make d * 2^-112, and the activation scale carries the 2^112.</item>
/// </list>
/// About 27 vector instructions per 128 values, against about 72 for the 256-bit dot of one block at a time with the
/// sign trick. For decode (matvec) only: batches keep the plain entry's tiles and panel.
/// Infinite or NaN weight scales are not reproduced (a quantizer never writes them).
/// </summary>
internal static unsafe class Q5_0PackedDot
{
    public const int GroupBytes = NibbleActivations.BlocksPerGroup * Q5_0Dot.BlockBytes;   // 88

    /// <summary>Where the second table starts: its 64 bytes end at the group's end.</summary>
    private const int SecondTable = GroupBytes - 64;   // 24

    public static bool IsSupported => Avx512BW.IsSupported && Avx512Vbmi.IsSupported;

    /// <summary>Byte j = nibble byte j % 16 of block j / 16 (quants at 22 b + 6); blocks 2 and 3 come from the second
    /// table (indices 64.. select its byte i - 64, which is group byte i - 64 + 24).</summary>
    private static Vector512<byte> NibbleIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (byte)6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
            28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
            90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105,
            112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127);
    }

    /// <summary>Byte j = the qh byte of block j / 16 holding bit j % 16 (qh at 22 b + 2: its byte (j % 16) / 8);
    /// the high levels' bits 16..31 are the same bytes plus 2.</summary>
    private static Vector512<byte> LowBitsIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
            24, 24, 24, 24, 24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 25,
            46, 46, 46, 46, 46, 46, 46, 46, 47, 47, 47, 47, 47, 47, 47, 47,
            108, 108, 108, 108, 108, 108, 108, 108, 109, 109, 109, 109, 109, 109, 109, 109);
    }

    /// <summary>Word index of block i/4's scale for each int32 lane i (byte 22 b = word 11 b; block 3's word 33 is word
    /// 21 of the second table, index 32 + 21).</summary>
    private static Vector512<ushort> ScaleIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (ushort)0, 0, 0, 0, 0, 0, 0, 0, 11, 11, 11, 11, 11, 11, 11, 11,
            22, 22, 22, 22, 22, 22, 22, 22, 53, 53, 53, 53, 53, 53, 53, 53);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        var indices = new Indices(NibbleIndex, LowBitsIndex, ScaleIndex);
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int groups = k / NibbleActivations.GroupSize;
        int g = 0;
        for (; g + 2 <= groups; g += 2, weights += 2 * GroupBytes, activations += 2 * NibbleActivations.GroupBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * GroupBytes);
            acc0 = Step(acc0, weights, activations, indices);
            acc1 = Step(acc1, weights + GroupBytes, activations + NibbleActivations.GroupBytes, indices);
        }
        if (g < groups)
            acc0 = Step(acc0, weights, activations, indices);
        return Vector512.Sum(acc0 + acc1);
    }

    private readonly struct Indices(Vector512<byte> nibbles, Vector512<byte> lowBits, Vector512<ushort> scales)
    {
        public readonly Vector512<byte> Nibbles = nibbles;
        public readonly Vector512<byte> LowBits = lowBits;
        public readonly Vector512<ushort> Scales = scales;
    }

    /// <summary>acc += float(Σ (level - 16) x) * (d_w * d_x) for one weight group and one activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step(Vector512<float> acc, byte* group, byte* a, in Indices indices)
    {
        var first = Vector512.Load(group);
        var second = Vector512.Load(group + SecondTable);
        var nibbles = Avx512Vbmi.PermuteVar64x8x2(first, indices.Nibbles, second);
        var lowBits = Avx512Vbmi.PermuteVar64x8x2(first, indices.LowBits, second);
        var highBits = Avx512Vbmi.PermuteVar64x8x2(first, indices.LowBits + Vector512.Create((byte)2), second);
        var mask = Vector512.Create((byte)0x0F);
        var bit = Vector512.Create(0x8040201008040201ul).AsByte();
        var fifth = Vector512.Create((byte)0x10);
        var low = (nibbles & mask) | (Vector512.Equals(lowBits & bit, bit) & fifth);
        var high = (Avx512BW.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & mask) | (Vector512.Equals(highBits & bit, bit) & fifth);

        var pairs = Avx512BW.MultiplyAddAdjacent(low, Vector512.Load((sbyte*)(a + NibbleActivations.LowOffset)))
            + Avx512BW.MultiplyAddAdjacent(high, Vector512.Load((sbyte*)(a + NibbleActivations.HighOffset)));
        var sums = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1))
            - Avx512F.ShiftLeftLogical(Vector512.Load((int*)(a + NibbleActivations.SumOffset)), 1);

        var halves = Avx512BW.PermuteVar32x16x2(first.AsUInt16(), indices.Scales, second.AsUInt16()).AsInt32();
        var scale = HalfBits.HighWordsUnrebiased(halves);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), scale * Vector512.Load((float*)(a + NibbleActivations.ScaleOffset)), acc);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants;

/// <summary>
/// The 12-byte scale/min field of Q4_K and Q5_K: eight 6-bit scales and eight 6-bit mins. For sub-block j &lt; 4 the
/// scale is bytes[j] &amp; 63 and the min bytes[j+4] &amp; 63; for j ≥ 4 the low four bits come from bytes[j+4]
/// (scale: low nibble, min: high nibble) and the top two bits from the spare top bits of bytes[j-4] (scale) and
/// bytes[j] (min).
/// </summary>
internal static unsafe class KQuantScales
{
    public const int SubBlocks = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* packed, int* scales, int* mins)
    {
        for (int j = 0; j < 4; j++)
        {
            scales[j] = packed[j] & 63;
            mins[j] = packed[j + 4] & 63;
        }
        for (int j = 4; j < SubBlocks; j++)
        {
            scales[j] = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
            mins[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
        }
    }

    /// <summary>
    /// For the panel matmul (AVX2): the float scale d * scale_j and offset centre * d * scale_j - dmin * min_j of each
    /// sub-block of a Q4_K/Q5_K block (half d, half dmin, then the 12-byte field at +4), whose levels are centred
    /// by <paramref name="centre"/> (8 for 4-bit, 16 for 5-bit levels); <paramref name="halves"/> is
    /// <see cref="Numerics.HalfBits.Table"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CentredScales(byte* block, int centre, float* halves, float* scales, float* offsets)
    {
        // Vectors of eight: the scalar form (a decode to two int arrays, then a float loop) was 16% of a Q4_K batch
        // of 16 tokens. Multiplies and subtracts stay separate, as in the scalar form, so the results are the same.
        var (packedScales, packedMins) = DecodePacked(block + 4);
        var ds = Vector256.Create(halves[*(ushort*)block]) * Floats(packedScales);
        ds.Store(scales);
        (Vector256.Create((float)centre) * ds - Vector256.Create(halves[*(ushort*)(block + 2)]) * Floats(packedMins)).Store(offsets);
    }

    /// <summary>The eight bytes of a packed decode (<see cref="DecodePacked"/>) as floats, sub-block j in lane j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Floats(ulong packed) =>
        Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(packed).AsByte()));

    /// <summary>Σ_j min_j * (activation sum of sub-block j), from the activation block's 16-value sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MinimumDot(int* mins, short* sums)
    {
        int total = 0;
        for (int j = 0; j < SubBlocks; j++)
            total += mins[j] * (sums[2 * j] + sums[2 * j + 1]);
        return total;
    }

    /// <summary>
    /// The same decode done on 32-bit words for the SIMD paths: the eight scales and the eight mins as the bytes of
    /// two 64-bit values (sub-block j in byte j). With u0..u2 the three little-endian words of the field:
    /// scales 0-3 = u0 &amp; 0x3f.., mins 0-3 = u1 &amp; 0x3f.., scales 4-7 = (u2 &amp; 0x0f..) | top bits of u0 bytes &lt;&lt; 4,
    /// mins 4-7 = (u2 &gt;&gt; 4 &amp; 0x0f..) | top bits of u1 bytes &lt;&lt; 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (ulong Scales, ulong Mins) DecodePacked(byte* packed)
    {
        uint u0 = *(uint*)packed, u1 = *(uint*)(packed + 4), u2 = *(uint*)(packed + 8);
        uint scalesLow = u0 & 0x3F3F3F3F;
        uint minsLow = u1 & 0x3F3F3F3F;
        uint scalesHigh = (u2 & 0x0F0F0F0F) | ((u0 >> 6) & 0x03030303) << 4;
        uint minsHigh = ((u2 >> 4) & 0x0F0F0F0F) | ((u1 >> 6) & 0x03030303) << 4;
        return (scalesLow | (ulong)scalesHigh << 32, minsLow | (ulong)minsHigh << 32);
    }

    /// <summary>
    /// The decode for the AVX2 dots in one vector: the eight scales in bytes 0-7 and the eight mins in bytes 8-15 (the
    /// sub-block order of <see cref="Decode"/>), from one 16-byte load at the field (its last 4 bytes are the block's
    /// next field and are dropped) and three byte shuffles. <see cref="DecodePacked"/> took about 26 integer
    /// instructions a block; this form ran Q4_K's dot over rows in L2 at 1.13x and streaming at 1.03-1.05x (paired).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> DecodePackedVector(byte* packed)
    {
        const byte Zero = 0x80;   // a shuffle index that writes 0
        var field = Vector128.Load(packed);
        // Scales 0-3 and mins 0-3 are the low six bits of bytes 0-3 and 4-7; the low four bits of scales 4-7 are the
        // low nibbles of bytes 8-11.
        var low = Ssse3.Shuffle(field, Vector128.Create((byte)0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, Zero, Zero, Zero, Zero))
            & Vector128.Create((byte)63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0);
        // The low four bits of mins 4-7 are the high nibbles of bytes 8-11.
        var highNibbles = Vector128.ShiftRightLogical(field.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);
        var minsHigh = Ssse3.Shuffle(highNibbles, Vector128.Create(Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, 8, 9, 10, 11));
        // The top two bits of scales 4-7 and mins 4-7 are bits 6-7 of bytes 0-3 and 4-7, moved to bits 4-5.
        var top = Ssse3.Shuffle(field, Vector128.Create(Zero, Zero, Zero, Zero, 0, 1, 2, 3, Zero, Zero, Zero, Zero, 4, 5, 6, 7));
        return low | minsHigh | (Vector128.ShiftRightLogical(top.AsUInt16(), 2).AsByte() & Vector128.Create((byte)0x30));
    }

    /// <summary>
    /// For the AVX2 dots of the 16-value-group K-quants (Q2_K, Q3_K, Q6_K), whose 32-value chunk s uses group scales 2s
    /// (its first 16 values: the low 128-bit lane of vpmaddwd's int16 lanes) and 2s + 1 (the high lane): the sixteen
    /// scales as int16 with the even ones in the low lane and the odd ones in the high lane, so one byte shuffle per
    /// chunk (<see cref="PickWord"/>) picks both, where extracting and broadcasting the two took about eight
    /// instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> GroupScaleWords(Vector128<sbyte> scales) =>
        Avx2.ConvertToVector256Int16(Vector128.Shuffle(scales, Vector128.Create((sbyte)0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15))).AsByte();

    /// <summary>Word <paramref name="word"/> of each 128-bit lane of <paramref name="scaleWords"/> spread over its lane
    /// (<see cref="GroupScaleWords"/>: chunk <paramref name="word"/>'s pair; <see cref="SubBlockScaleWords"/>: sub-block
    /// <paramref name="word"/>'s scale in both lanes). One vpshufb; with the chunks written out the shuffle is a
    /// constant, where a running index cost an add per chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> PickWord(Vector256<byte> scaleWords, int word) =>
        Avx2.Shuffle(scaleWords, Vector256.Create((short)(0x0100 + 0x0202 * word)).AsByte()).AsInt16();

    /// <summary>The <see cref="PickWord"/> shuffle for word 0, for the many-token dots, which walk the chunks in a loop
    /// and take each chunk's scales with <see cref="TakeWord"/>: a loop's running index made each pick a multiply and a
    /// broadcast (and a two-token Q3_K dot slower than two single dots), where a stepped shuffle costs one add.</summary>
    public static Vector256<byte> FirstWordPick => Vector256.Create((short)0x0100).AsByte();

    /// <summary><see cref="PickWord"/> for the word <paramref name="pick"/> picks, which then steps to the next word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> TakeWord(Vector256<byte> scaleWords, ref Vector256<byte> pick)
    {
        var word = Avx2.Shuffle(scaleWords, pick).AsInt16();
        pick += Vector256.Create((short)0x0202).AsByte();
        return word;
    }

    /// <summary>For the AVX2 dots of Q4_K and Q5_K: the eight sub-block scales of <see cref="DecodePackedVector"/> as
    /// int16 words 0..7 of both 128-bit lanes, so <see cref="PickWord"/> spreads sub-block j's scale over a whole
    /// chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> SubBlockScaleWords(Vector128<byte> scalesAndMins)
    {
        var words = Avx2.ConvertToVector128Int16(scalesAndMins);
        return Vector256.Create(words, words).AsByte();
    }

    /// <summary>For the AVX2 dots of the 16-value-group K-quants (Q2_K's mins, Q3_K's and Q6_K's level offsets): each
    /// group's value times the activations' sum over that group (<paramref name="sums"/>, sixteen int16), in eight
    /// int32 lanes whose total is the dot. The dots fold the lanes into their accumulator and sum once per row, where
    /// a sum per block took about twelve instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> GroupSumProducts(Vector128<sbyte> perGroup, short* sums) =>
        Avx2.MultiplyAddAdjacent(Vector256.Load(sums), Avx2.ConvertToVector256Int16(perGroup));

    /// <summary><see cref="MinimumDot(int*, short*)"/> for the mins of <see cref="DecodePackedVector"/>, before its
    /// horizontal sum: each min paired with its two 16-value sums in one multiply-add, in eight int32 lanes whose total
    /// is the dot, for dots that fold the lanes into their own accumulator and sum once per row (a sum per block took
    /// about twelve instructions).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MinimumProductsAvx2(Vector128<byte> scalesAndMins, short* sums)
    {
        var paired = Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(scalesAndMins, scalesAndMins));
        return Avx2.MultiplyAddAdjacent(Vector256.Load(sums), paired);
    }

    /// <summary>One Q4_K or Q5_K block against one token's Q8_K block at <paramref name="activation"/>, in the AVX2 dots'
    /// order: acc += float(the scaled level products) * (d * d_x), then acc -= float(the mins' products) * (dmin * d_x).
    /// The single and many-token dots share it, so a token's sums are the same bits whichever dot took it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AccumulateBlockAvx2(Vector256<float> acc, Vector256<int> sums, float d, float dMin, Vector128<byte> scalesAndMins,
        byte* activation)
    {
        float da = Q8_KBlock.Scale(activation);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(d * da), acc);
        return Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(MinimumProductsAvx2(scalesAndMins, Q8_KBlock.Sums(activation))),
            Vector256.Create(dMin * da), acc);
    }
}

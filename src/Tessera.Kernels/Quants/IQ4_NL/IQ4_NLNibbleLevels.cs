using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Quants.Nibbles;

namespace Tessera.Kernels.Quants.IQ4_NL;

/// <summary>
/// IQ4_NL's levels for the nibble dots: level = Table[nibble], -127..113. Offset by 128 they would saturate
/// vpmaddubsw's int16 pairs, so the products go through the sign trick: |level| by a byte shuffle of the magnitudes,
/// and the activation negated where the level is negative. The table is sorted, so that is where the nibble is below
/// 8: one compare, no second lookup. Each half's pairs (|pair| &lt;= 2 * 127 * 127) widen to int32 on their own.
/// </summary>
internal readonly unsafe struct IQ4_NLNibbleLevels : INibbleLevels
{
    private static Vector128<byte> Magnitudes => Vector128.Create((byte)127, 104, 83, 65, 49, 35, 22, 10, 1, 13, 25, 38, 53, 69, 89, 113);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Products(Vector512<byte> low, Vector512<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets)
    {
        var magnitudes = Vector512.Create(Magnitudes);
        var eight = Vector512.Create((byte)8);
        var ones = Vector512.Create((short)1);
        var xl = Vector512.Load(xLow);
        var xh = Vector512.Load(xHigh);
        xl = Vector512.ConditionalSelect(Vector512.LessThan(low, eight).AsSByte(), -xl, xl);
        xh = Vector512.ConditionalSelect(Vector512.LessThan(high, eight).AsSByte(), -xh, xh);
        return Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Shuffle(magnitudes, low), xl), ones)
            + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Shuffle(magnitudes, high), xh), ones);
    }

    /// <summary>With AVX2 the table's own signed levels serve (<see cref="Prepare"/>, <see cref="PairPartials"/>): vpsignb
    /// takes the sign from the level (never 0 in this table), as IQ4_NL's plain dot does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Products(Vector256<byte> low, Vector256<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets)
    {
        var (lowWeights, highWeights) = Prepare(low, high);
        return PairPartials(lowWeights, highWeights, xLow, xHigh);
    }

    /// <summary>The signed levels and their magnitudes: the sign trick's weight half, once for every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (NibbleWeights Low, NibbleWeights High) Prepare(Vector256<byte> low, Vector256<byte> high)
    {
        var table = Vector256.Create(Vector128.Create(IQ4_NLDot.Table));
        var lowLevels = Avx2.Shuffle(table, low.AsSByte());
        var highLevels = Avx2.Shuffle(table, high.AsSByte());
        return (new NibbleWeights(Avx2.Sign(lowLevels, lowLevels).AsByte(), lowLevels), new NibbleWeights(Avx2.Sign(highLevels, highLevels).AsByte(), highLevels));
    }

    /// <summary>The two-block step's products as int32 quads (|pair| up to 2 * 127 * 127 leaves no room to add int16 words):
    /// magnitudes times the activations negated where the level is negative, as <see cref="SimdInt8.MultiplySum(Vector256{sbyte}, Vector256{sbyte})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> PairPartials(in NibbleWeights low, in NibbleWeights high, sbyte* xLow, sbyte* xHigh) =>
        SimdInt8.MultiplySumUnsigned(low.Unsigned, Avx2.Sign(Vector256.Load(xLow), low.Signs))
        + SimdInt8.MultiplySumUnsigned(high.Unsigned, Avx2.Sign(Vector256.Load(xHigh), high.Signs));

    /// <summary>Quads to blocks with three vphaddd over the octet; the signed levels need no offsets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> HalfSums(Vector256<int> first, Vector256<int> second) => Avx2.HorizontalAdd(first, second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> SumHalves(Vector256<int> steps01, Vector256<int> steps23, int* offsets) => Avx2.HorizontalAdd(steps01, steps23);
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Quants.Nibbles;

namespace Tessera.Kernels.Quants.IQ4_NL;

/// <summary>
/// IQ4_NL's levels for the nibble dots: level = Table[nibble], -127..113. Offset by 128 they would saturate
/// vpmaddubsw's int16 pairs, so the products go through the sign trick. With AVX-512: |level| by a byte shuffle of the
/// magnitudes, and the activation negated where the level is negative (the table is sorted, so that is where the
/// nibble is below 8: one compare, no second lookup). With AVX2 the activations carry their magnitudes
/// (<see cref="ReadsMagnitudes"/>), so |x| times the level with the activation's sign takes one vpsignb per 32 values
/// where |level| times the activation with the level's sign took two. Each half's pairs (|pair| &lt;= 2 * 128 * 127)
/// widen to int32 on their own.
/// </summary>
internal readonly unsafe struct IQ4_NLNibbleLevels : INibbleLevels
{
    public static bool ReadsMagnitudes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => true;
    }

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

    /// <summary>The two-block step of a pair group (<see cref="PairActivations.QuantizeWithMagnitudes"/>), as
    /// <see cref="PairPartials"/> does for an octet step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Products(Vector256<byte> low, Vector256<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets)
    {
        var (lowLevels, highLevels) = Prepare(low, high);
        return SignedProducts(lowLevels.Signs, xLow, xLow + PairActivations.MagnitudeOffset)
            + SignedProducts(highLevels.Signs, xHigh, xHigh + PairActivations.MagnitudeOffset);
    }

    /// <summary>The signed levels, once for every token (<see cref="NibbleWeights.Unsigned"/> unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (NibbleWeights Low, NibbleWeights High) Prepare(Vector256<byte> low, Vector256<byte> high)
    {
        var table = Vector256.Create(Vector128.Create(IQ4_NLDot.Table));
        return (new NibbleWeights(default, Avx2.Shuffle(table, low.AsSByte())), new NibbleWeights(default, Avx2.Shuffle(table, high.AsSByte())));
    }

    /// <summary>The octet step's products as int32 quads (|pair| up to 2 * 128 * 127 leaves no room to add int16 words),
    /// the activations' magnitudes read <see cref="OctetActivations.MagnitudeOffset"/> past their quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> PairPartials(in NibbleWeights low, in NibbleWeights high, sbyte* xLow, sbyte* xHigh) =>
        SignedProducts(low.Signs, xLow, xLow + OctetActivations.MagnitudeOffset)
        + SignedProducts(high.Signs, xHigh, xHigh + OctetActivations.MagnitudeOffset);

    /// <summary>Σ level·x over each four values: |x| (unsigned) times the level with x's sign (x = 0 leaves |x| = 0, so
    /// vpsignb's zeroing there changes nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedProducts(Vector256<sbyte> levels, sbyte* x, sbyte* magnitudes) =>
        SimdInt8.MultiplySumUnsigned(Vector256.Load((byte*)magnitudes), Avx2.Sign(levels, Vector256.Load(x)));

    /// <summary>Quads to blocks with three vphaddd over the octet; the signed levels need no offsets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> HalfSums(Vector256<int> first, Vector256<int> second) => Avx2.HorizontalAdd(first, second);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> SumHalves(Vector256<int> steps01, Vector256<int> steps23, int* offsets) => Avx2.HorizontalAdd(steps01, steps23);
}

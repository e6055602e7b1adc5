using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Quants.Nibbles;

namespace Tessera.Kernels.Quants.Q4_0;

/// <summary>
/// Q4_0's levels for the nibble dots: level = nibble - 8. The nibbles (0..15) go into vpmaddubsw as they are, the two
/// halves' int16 pairs add without saturating (|sum| &lt;= 4 * 15 * 127), and the activation layout's 8 Σ x offset
/// is subtracted once per lane.
/// </summary>
internal readonly unsafe struct Q4_0NibbleLevels : INibbleLevels
{
    public static bool ReadsMagnitudes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Products(Vector512<byte> low, Vector512<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets)
    {
        var pairs = Avx512BW.MultiplyAddAdjacent(low, Vector512.Load(xLow)) + Avx512BW.MultiplyAddAdjacent(high, Vector512.Load(xHigh));
        return Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) - Vector512.Load(offsets);
    }

    /// <summary>With AVX-VNNI two vpdpbusd accumulate both halves' four-product sums straight into int32 lanes, where
    /// two vpmaddubsw, an add and a vpmaddwd took four instructions (the same sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Products(Vector256<byte> low, Vector256<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets)
    {
        if (AvxVnni.IsSupported)
        {
            var lowSums = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, low, Vector256.Load(xLow));
            return AvxVnni.MultiplyWideningAndAdd(lowSums, high, Vector256.Load(xHigh)) - Vector256.Load(offsets);
        }
        var pairs = Avx2.MultiplyAddAdjacent(low, Vector256.Load(xLow)) + Avx2.MultiplyAddAdjacent(high, Vector256.Load(xHigh));
        return Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1)) - Vector256.Load(offsets);
    }

    /// <summary>Without AVX-VNNI the two halves' vpmaddubsw pairs, added (|word| &lt;= 2 * 2 * 15 * 127 = 7620): four
    /// steps' words then add pairwise twice without overflow (&lt;= 30480) before one vpmaddwd makes them int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (NibbleWeights Low, NibbleWeights High) Prepare(Vector256<byte> low, Vector256<byte> high) => (new(low), new(high));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> PairPartials(in NibbleWeights lowWeights, in NibbleWeights highWeights, sbyte* xLow, sbyte* xHigh)
    {
        var (low, high) = (lowWeights.Unsigned, highWeights.Unsigned);
        if (AvxVnni.IsSupported)
            return AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, low, Vector256.Load(xLow)), high, Vector256.Load(xHigh));
        return (Avx2.MultiplyAddAdjacent(low, Vector256.Load(xLow)) + Avx2.MultiplyAddAdjacent(high, Vector256.Load(xHigh))).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> HalfSums(Vector256<int> first, Vector256<int> second) =>
        AvxVnni.IsSupported ? Avx2.HorizontalAdd(first, second) : Avx2.HorizontalAdd(first.AsInt16(), second.AsInt16()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> SumHalves(Vector256<int> steps01, Vector256<int> steps23, int* offsets)
    {
        if (AvxVnni.IsSupported)
            return Avx2.HorizontalAdd(steps01, steps23) - Vector256.Load(offsets);
        var words = Avx2.HorizontalAdd(steps01.AsInt16(), steps23.AsInt16());
        return Avx2.MultiplyAddAdjacent(words, Vector256.Create((short)1)) - Vector256.Load(offsets);
    }
}

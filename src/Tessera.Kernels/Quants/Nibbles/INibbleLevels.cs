using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// How a 4-bit weight type with Q4_0's block layout (half d, then 16 bytes: low nibbles are values 0..15, high
/// nibbles 16..31) turns its nibbles into levels, for the nibble dots (<see cref="NibblePackedDot{TLevels}"/>,
/// <see cref="NibbleOctetDot{TLevels}"/>): each returns int32 lanes of Σ level·x over four values, as the activation
/// layouts (<see cref="NibbleActivations"/>, <see cref="PairActivations"/>) line them up, or partial sums that the
/// octet dot reduces to one lane per block (<see cref="OctetActivations"/>). The JIT specialises the
/// dots per struct, so the level step is inlined.
/// </summary>
internal unsafe interface INibbleLevels
{
    /// <summary>Whether the octet dot's activations carry each quant's magnitude
    /// (<see cref="OctetActivations.QuantizeWithMagnitudes"/>): <see cref="PairPartials"/> and
    /// <see cref="Products(Vector256{byte}, Vector256{byte}, sbyte*, sbyte*, int*)"/> then read them the layout's
    /// magnitude offset past the quants.</summary>
    static abstract bool ReadsMagnitudes { get; }

    /// <summary>512 bits: lane i = Σ over four values of level·x, from the low and high nibbles (0..15 each), their
    /// activations and the layout's per-lane offsets (8 Σ x, for types whose levels are nibble - 8).</summary>
    static abstract Vector512<int> Products(Vector512<byte> low, Vector512<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets);

    /// <summary>The same over 256 bits.</summary>
    static abstract Vector256<int> Products(Vector256<byte> low, Vector256<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets);

    /// <summary>The octet dot's low and high nibbles (0..15; two blocks) in the form their products take, prepared once
    /// however many tokens then meet them (<see cref="NibbleOctetDot{TLevels}.DotMany{TTokens}"/>).</summary>
    static abstract (NibbleWeights Low, NibbleWeights High) Prepare(Vector256<byte> low, Vector256<byte> high);

    /// <summary>The octet dot's step over two blocks (block 2j in the low 128-bit lane, 2j+1 in the high one), from
    /// their prepared low and high nibbles: partial sums of level·x in whatever lanes hold them exactly (int16 pairs
    /// for levels within ±15, else int32 quads).</summary>
    static abstract Vector256<int> PairPartials(in NibbleWeights low, in NibbleWeights high, sbyte* xLow, sbyte* xHigh);

    /// <summary>Two consecutive steps' partials (steps 0 and 1, or 2 and 3), added pairwise: the first horizontal add
    /// of the reduction to block sums.</summary>
    static abstract Vector256<int> HalfSums(Vector256<int> first, Vector256<int> second);

    /// <summary>The two <see cref="HalfSums"/> of an octet to one int32 lane per block in the octet order (blocks 0, 2,
    /// 4, 6, 1, 3, 5, 7), less the layout's per-block offsets (8 Σ x) for types whose levels are nibble - 8.</summary>
    static abstract Vector256<int> SumHalves(Vector256<int> steps01, Vector256<int> steps23, int* offsets);
}

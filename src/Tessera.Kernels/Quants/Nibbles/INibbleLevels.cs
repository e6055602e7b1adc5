using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// How a 4-bit weight type with Q4_0's block layout (half d, then 16 bytes: low nibbles are values 0..15, high
/// nibbles 16..31) turns its nibbles into levels, for the nibble dots (<see cref="NibblePackedDot{TLevels}"/>,
/// <see cref="NibblePairDot{TLevels}"/>): each returns int32 lanes of Σ level·x over four values, as the activation
/// layouts (<see cref="NibbleActivations"/>, <see cref="PairActivations"/>) line them up. The JIT specialises the
/// dots per struct, so the level step is inlined.
/// </summary>
internal unsafe interface INibbleLevels
{
    /// <summary>512 bits: lane i = Σ over four values of level·x, from the low and high nibbles (0..15 each), their
    /// activations and the layout's per-lane offsets (8 Σ x, for types whose levels are nibble - 8).</summary>
    static abstract Vector512<int> Products(Vector512<byte> low, Vector512<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets);

    /// <summary>The same over 256 bits.</summary>
    static abstract Vector256<int> Products(Vector256<byte> low, Vector256<byte> high, sbyte* xLow, sbyte* xHigh, int* offsets);
}

using System.Runtime.CompilerServices;

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

    /// <summary>Σ_j min_j * (activation sum of sub-block j), from the activation block's 16-value sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MinimumDot(int* mins, short* sums)
    {
        int total = 0;
        for (int j = 0; j < SubBlocks; j++)
            total += mins[j] * (sums[2 * j] + sums[2 * j + 1]);
        return total;
    }
}

using System.Runtime.Intrinsics;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Helpers for the searching quantizers' vector loops. Sub-blocks are processed <see cref="Lanes"/> values at a
/// time; every lane operation is exact IEEE arithmetic and <see cref="Sum"/> adds the lanes in a fixed order,
/// so a block quantizes to the same bytes whether or not the hardware accelerates Vector256.
/// </summary>
internal static class VectorSums
{
    /// <summary>Values per vector step; every sub-block size (16, 32) is a multiple.</summary>
    public const int Lanes = 8;

    /// <summary>Lane sum in a fixed order: ((0+4) + (2+6)) + ((1+5) + (3+7)).</summary>
    public static float Sum(Vector256<float> v)
    {
        Vector128<float> half = v.GetLower() + v.GetUpper();
        return (half[0] + half[2]) + (half[1] + half[3]);
    }

    /// <summary>Loads values [start, start + Lanes).</summary>
    public static Vector256<float> Load(ReadOnlySpan<float> x, int start) => Vector256.Create(x.Slice(start, Lanes));

    /// <summary>
    /// round(v) clamped to [low, high]: the integer level of each lane as a float. Ties round to even as in
    /// <see cref="QuantMath.NearestInt"/>. A NaN lane (from NaN input, where no level is right) comes out as an
    /// end level or NaN depending on the hardware; Vector256.ConvertToInt32 saturates (NaN to 0), so the integer
    /// level written for it stays small.
    /// </summary>
    public static Vector256<float> Level(Vector256<float> v, Vector256<float> low, Vector256<float> high) =>
        Vector256.ClampNative(Vector256.Round(v), low, high);
}

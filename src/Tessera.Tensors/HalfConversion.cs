using System.Runtime.CompilerServices;

namespace Tessera.Tensors;

/// <summary>
/// IEEE binary16 (half) conversions without <see cref="Half"/>'s software path:
/// half -> float through a 65,536-entry table (256 KiB, built once), float -> half by bit arithmetic
/// with round-to-nearest-even, as F16C hardware does.
/// </summary>
public static class HalfConversion
{
    private const uint HalfExponentMask = 0x7C00;
    private const uint HalfMantissaMask = 0x03FF;
    private const uint SingleAbsMask = 0x7FFF_FFFF;
    private const uint SingleInfinityBits = 0x7F80_0000;

    /// <summary>|x| at or above 65520 (halfway between the largest half 65504 and 65536) rounds to infinity.</summary>
    private const uint FirstOverflowBits = 0x477F_F000;

    /// <summary>2^-14, the smallest normal half; below it halves are subnormal.</summary>
    private const uint SmallestNormalHalfBits = 0x3880_0000;

    /// <summary>Float exponent bias (127) minus half exponent bias (15).</summary>
    private const int ExponentBiasDifference = 112;

    private static readonly float[] ToSingleTable = BuildToSingleTable();

    /// <summary>The float value of the half with bits <paramref name="bits"/> (exact; NaN payload kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => ToSingleTable[bits];

    /// <summary>Converts halves (raw bits) to floats; lengths must match.</summary>
    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"{source.Length} halves cannot fill {destination.Length} floats", nameof(destination));
        float[] table = ToSingleTable;
        for (int i = 0; i < source.Length; i++)
            destination[i] = table[source[i]];
    }

    /// <summary>The half nearest to <paramref name="value"/> (ties to even), as raw bits; overflow gives infinity, NaN stays NaN.</summary>
    public static ushort ToHalf(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint sign = (bits >> 16) & 0x8000;
        uint abs = bits & SingleAbsMask;

        if (abs >= SingleInfinityBits)
        {
            // Infinity keeps a zero mantissa; NaN keeps its top payload bits and is forced quiet (never becomes infinity).
            uint nanPayload = abs > SingleInfinityBits ? 0x0200 | ((abs >> 13) & HalfMantissaMask) : 0;
            return (ushort)(sign | HalfExponentMask | nanPayload);
        }
        if (abs >= FirstOverflowBits)
            return (ushort)(sign | HalfExponentMask);

        if (abs < SmallestNormalHalfBits)
            return (ushort)(sign | ToSubnormalHalf(abs));

        // Normal: rebias the exponent, drop 13 mantissa bits with round-to-nearest-even.
        // A carry out of the mantissa correctly bumps the exponent.
        uint half = ((abs >> 23) - ExponentBiasDifference) << 10 | ((abs >> 13) & HalfMantissaMask);
        return (ushort)(sign | RoundShiftedBits(half, abs & 0x1FFF, 13));
    }

    /// <summary>Converts floats to halves (raw bits); lengths must match.</summary>
    public static void ToHalf(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"{source.Length} floats cannot fill {destination.Length} halves", nameof(destination));
        for (int i = 0; i < source.Length; i++)
            destination[i] = ToHalf(source[i]);
    }

    /// <summary>Rounds a float below 2^-14 to a subnormal half mantissa (units of 2^-24).</summary>
    private static uint ToSubnormalHalf(uint abs)
    {
        int exponent = (int)(abs >> 23);
        if (exponent == 0)
            return 0; // float subnormals are far below half's smallest subnormal
        uint mantissa = (abs & 0x7F_FFFF) | 0x80_0000; // value = mantissa * 2^(exponent - 150)
        int shift = 126 - exponent;                    // value / 2^-24 = mantissa >> shift
        if (shift > 24)
            return 0; // below a quarter of 2^-24: rounds to zero
        return RoundShiftedBits(mantissa >> shift, mantissa & ((1u << shift) - 1), shift);
    }

    /// <summary>Round-to-nearest-even of kept + dropped / 2^dropBits.</summary>
    private static uint RoundShiftedBits(uint kept, uint dropped, int dropBits)
    {
        uint halfway = 1u << (dropBits - 1);
        return dropped > halfway || (dropped == halfway && (kept & 1) != 0) ? kept + 1 : kept;
    }

    private static float[] BuildToSingleTable()
    {
        var table = new float[65536];
        for (int i = 0; i < table.Length; i++)
            table[i] = DecodeHalf((ushort)i);
        return table;
    }

    /// <summary>Decodes half bits from the format's definition: sign, 5-bit exponent (bias 15), 10-bit mantissa.</summary>
    private static float DecodeHalf(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        uint exponent = (bits & HalfExponentMask) >> 10;
        uint mantissa = bits & HalfMantissaMask;
        if (exponent == 0x1F)
            return BitConverter.UInt32BitsToSingle(sign | SingleInfinityBits | mantissa << 13);
        if (exponent != 0)
            return BitConverter.UInt32BitsToSingle(sign | (exponent + ExponentBiasDifference) << 23 | mantissa << 13);
        // Subnormal or zero: mantissa * 2^-24, exact in float.
        float magnitude = mantissa * (1f / 16777216f);
        return sign != 0 ? -magnitude : magnitude;
    }
}

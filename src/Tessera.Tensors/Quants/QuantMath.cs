using System.Runtime.CompilerServices;

namespace Tessera.Tensors.Quants;

/// <summary>Small numeric helpers the quantizers share.</summary>
internal static class QuantMath
{
    /// <summary>Nearest integer, ties to even (the rounding the K-quant formats were defined with).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float value) => (int)MathF.Round(value);

    /// <summary>The value with the largest magnitude, keeping its sign; on equal magnitudes the first one wins.</summary>
    public static float LargestMagnitude(ReadOnlySpan<float> values)
    {
        float largest = 0, largestAbs = 0;
        foreach (float v in values)
        {
            float a = MathF.Abs(v);
            if (a > largestAbs)
            {
                largestAbs = a;
                largest = v;
            }
        }
        return largest;
    }

    /// <summary>Largest |value|.</summary>
    public static float MaxAbs(ReadOnlySpan<float> values)
    {
        float largestAbs = 0;
        foreach (float v in values)
            largestAbs = MathF.Max(largestAbs, MathF.Abs(v));
        return largestAbs;
    }

    public static (float Min, float Max) MinMax(ReadOnlySpan<float> values)
    {
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return (min, max);
    }

    /// <summary>1/d, or 0 for d = 0 so that an all-zero block quantizes to zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float InverseOrZero(float d) => d != 0 ? 1f / d : 0f;
}

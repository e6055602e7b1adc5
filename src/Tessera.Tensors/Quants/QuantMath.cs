using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Tensors.Quants;

/// <summary>Small numeric helpers the quantizers share.</summary>
internal static class QuantMath
{
    /// <summary>Nearest integer, ties to even (the rounding the K-quant formats were defined with).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float value) => (int)MathF.Round(value);

    /// <summary>The value with the largest magnitude, keeping its sign; on equal magnitudes the first one wins; NaN is skipped.</summary>
    public static float LargestMagnitude(ReadOnlySpan<float> values)
    {
        // The largest |value| first (vector lanes for whole groups of 8, NaN lanes masked to 0), then the first
        // value that has it: no branch depends on the running maximum.
        int whole = values.Length - values.Length % Vector256<float>.Count;
        var largestAbs = Vector256<float>.Zero;
        for (int i = 0; i < whole; i += Vector256<float>.Count)
        {
            var v = Vector256.Create(values.Slice(i, Vector256<float>.Count));
            largestAbs = Vector256.Max(largestAbs, Vector256.Abs(v) & Vector256.Equals(v, v));
        }
        float largest = 0;
        for (int lane = 0; lane < Vector256<float>.Count; lane++)
            largest = MathF.Max(largest, largestAbs[lane]);
        for (int i = whole; i < values.Length; i++)
        {
            if (MathF.Abs(values[i]) > largest)
                largest = MathF.Abs(values[i]);
        }
        if (largest == 0)
            return 0;
        foreach (float v in values)
        {
            if (MathF.Abs(v) == largest)
                return v;
        }
        return 0;
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

    /// <summary>Index of the smallest value (the first on ties), or -1 when none is below +∞ (all NaN or +∞).</summary>
    public static int IndexOfSmallest(ReadOnlySpan<float> values)
    {
        int index = -1;
        float smallest = float.PositiveInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < smallest)
                (index, smallest) = (i, values[i]);
        }
        return index;
    }

    /// <summary>1/d, or 0 for d = 0 so that an all-zero block quantizes to zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float InverseOrZero(float d) => d != 0 ? 1f / d : 0f;
}

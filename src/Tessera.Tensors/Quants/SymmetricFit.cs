namespace Tessera.Tensors.Quants;

/// <summary>
/// Fits one sub-block as value ≈ scale * level with integer levels minLevel..maxLevel (a signed scale,
/// no offset), minimising the plain squared error. For fixed levels the best scale is Σx·l / Σl², which
/// leaves error Σx² - (Σx·l)² / Σl²; candidates are ranked by that score, one pass each.
/// </summary>
internal static class SymmetricFit
{
    /// <summary>Candidates map the largest value to an end level ± StretchStep * k, k = -StretchSteps..StretchSteps.</summary>
    private const float StretchStep = 0.15f;
    private const int StretchSteps = 5;

    /// <summary>Rounds of re-picking levels and re-fitting after the candidate sweep.</summary>
    private const int RefineRounds = 4;

    /// <summary>Writes the best levels and returns the scale.</summary>
    public static float Fit(ReadOnlySpan<float> x, int minLevel, int maxLevel, Span<sbyte> levels)
    {
        float largest = QuantMath.LargestMagnitude(x);
        if (largest == 0)
        {
            levels.Clear();
            return 0;
        }

        float bestScale = largest / minLevel, bestScore = 0;
        for (int k = -StretchSteps; k <= StretchSteps; k++)
        {
            // Largest value onto the negative end (which has one level more) or onto the positive end.
            TryScale(x, largest / (minLevel + StretchStep * k), minLevel, maxLevel, ref bestScale, ref bestScore);
            TryScale(x, largest / (maxLevel + StretchStep * k), minLevel, maxLevel, ref bestScale, ref bestScore);
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            if (!TryScale(x, bestScale, minLevel, maxLevel, ref bestScale, ref bestScore))
                break;
        }
        Assign(x, bestScale, minLevel, maxLevel, levels);
        return bestScale;
    }

    /// <summary>Nearest level for each value under a fixed scale; returns the squared error.</summary>
    public static float Assign(ReadOnlySpan<float> x, float scale, int minLevel, int maxLevel, Span<sbyte> levels)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        float error = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int level = Math.Clamp(QuantMath.NearestInt(x[i] * inverse), minLevel, maxLevel);
            levels[i] = (sbyte)level;
            float diff = scale * level - x[i];
            error += diff * diff;
        }
        return error;
    }

    /// <summary>Picks levels for <paramref name="scale"/>; keeps their least-squares scale when it scores higher.</summary>
    private static bool TryScale(ReadOnlySpan<float> x, float scale, int minLevel, int maxLevel, ref float bestScale, ref float bestScore)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        float sumXL = 0, sumLL = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float l = Math.Clamp(QuantMath.NearestInt(x[i] * inverse), minLevel, maxLevel);
            sumXL += x[i] * l;
            sumLL += l * l;
        }
        if (!(sumLL > 0))
            return false;
        float score = sumXL * sumXL / sumLL;
        if (!(score > bestScore * (1 + 1e-6f)))
            return false;
        bestScore = score;
        bestScale = sumXL / sumLL;
        return true;
    }
}

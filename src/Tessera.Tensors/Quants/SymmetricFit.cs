namespace Tessera.Tensors.Quants;

/// <summary>
/// Fits one sub-block as value ≈ scale * level with integer levels minLevel..maxLevel (a signed scale,
/// no offset), minimising the plain squared error. For fixed levels the best scale is Σx·l / Σl², which
/// leaves error Σx² - (Σx·l)² / Σl²; candidates are ranked by that score.
/// </summary>
internal static class SymmetricFit
{
    /// <summary>Candidates map the largest value to an end level ± StretchStep * k, k = -StretchSteps..StretchSteps.</summary>
    private const float StretchStep = 0.1f;
    private const int StretchSteps = 9;

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

        Span<sbyte> trial = stackalloc sbyte[x.Length];
        float bestScale = 0, bestScore = 0;
        for (int k = -StretchSteps; k <= StretchSteps; k++)
        {
            // Largest value onto the negative end (which has one level more) or onto the positive end.
            TryScale(x, largest / (minLevel + StretchStep * k), minLevel, maxLevel, trial, levels, ref bestScale, ref bestScore);
            TryScale(x, largest / (maxLevel + StretchStep * k), minLevel, maxLevel, trial, levels, ref bestScale, ref bestScore);
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            if (!TryScale(x, bestScale, minLevel, maxLevel, trial, levels, ref bestScale, ref bestScore))
                break;
        }
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

    private static bool TryScale(ReadOnlySpan<float> x, float scale, int minLevel, int maxLevel,
        Span<sbyte> trial, Span<sbyte> levels, ref float bestScale, ref float bestScore)
    {
        Assign(x, scale, minLevel, maxLevel, trial);
        float sumXL = 0, sumLL = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sumXL += x[i] * trial[i];
            sumLL += trial[i] * trial[i];
        }
        if (!(sumLL > 0))
            return false;
        float score = sumXL * sumXL / sumLL;
        if (!(score > bestScore * (1 + 1e-6f)))
            return false;
        bestScore = score;
        bestScale = sumXL / sumLL;
        trial.CopyTo(levels);
        return true;
    }
}

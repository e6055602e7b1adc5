using System.Runtime.Intrinsics;
using static Tessera.Tensors.Quants.VectorSums;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Fits one sub-block as value ≈ scale * level with integer levels minLevel..maxLevel (a signed scale,
/// no offset), minimising the plain squared error. For fixed levels the best scale is Σx·l / Σl², which
/// leaves error Σx² - (Σx·l)² / Σl²; candidates are ranked by that score, one vector pass each.
/// </summary>
internal static class SymmetricFit
{
    /// <summary>
    /// Candidates map the largest value to an end level ± StretchStep * k, k = -StretchSteps..StretchSteps.
    /// The fit only centres the code search, so a coarse sweep loses nothing measurable.
    /// </summary>
    private const float StretchStep = 0.35f;
    private const int StretchSteps = 2;

    /// <summary>Rounds of re-picking levels and re-fitting after the candidate sweep; later rounds gain little.</summary>
    private const int RefineRounds = 1;

    /// <summary>The best scale for a sub-block whose length is a multiple of <see cref="Lanes"/>.</summary>
    public static float Fit(ReadOnlySpan<float> x, int minLevel, int maxLevel)
    {
        float largest = QuantMath.LargestMagnitude(x);
        if (largest == 0)
            return 0;

        float inverseLargest = 1 / largest, bestScale = largest / minLevel, bestScore = 0;
        for (int k = -StretchSteps; k <= StretchSteps; k++)
        {
            // Largest value onto the negative end (which has one level more) or onto the positive end.
            TryInverse(x, (minLevel + StretchStep * k) * inverseLargest, minLevel, maxLevel, ref bestScale, ref bestScore);
            TryInverse(x, (maxLevel + StretchStep * k) * inverseLargest, minLevel, maxLevel, ref bestScale, ref bestScore);
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            if (!TryInverse(x, QuantMath.InverseOrZero(bestScale), minLevel, maxLevel, ref bestScale, ref bestScore))
                break;
        }
        return bestScale;
    }

    /// <summary>Nearest level for each value under a fixed scale (the levels <see cref="Error"/> measures).</summary>
    public static void Assign(ReadOnlySpan<float> x, float scale, int minLevel, int maxLevel, Span<sbyte> levels)
    {
        var inverse = Vector256.Create(QuantMath.InverseOrZero(scale));
        Vector256<float> bottom = Vector256.Create((float)minLevel), top = Vector256.Create((float)maxLevel);
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var level = Vector256.ConvertToInt32(Level(Load(x, i) * inverse, bottom, top));
            for (int lane = 0; lane < Lanes; lane++)
                levels[i + lane] = (sbyte)level[lane];
        }
    }

    /// <summary>Squared error of the levels <see cref="Assign"/> would pick (one vector pass, nothing written).</summary>
    public static float Error(ReadOnlySpan<float> x, float scale, int minLevel, int maxLevel)
    {
        var inverse = Vector256.Create(QuantMath.InverseOrZero(scale));
        Vector256<float> vScale = Vector256.Create(scale), bottom = Vector256.Create((float)minLevel), top = Vector256.Create((float)maxLevel);
        var error = Vector256<float>.Zero;
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var v = Load(x, i);
            var diff = Level(v * inverse, bottom, top) * vScale - v;
            error = Vector256.FusedMultiplyAdd(diff, diff, error);
        }
        return Sum(error);
    }

    /// <summary>
    /// Picks levels for the scale 1/<paramref name="inverseScale"/>; keeps their least-squares scale when it scores
    /// higher (the score compared as Σxl² > best·Σl², without dividing).
    /// </summary>
    private static bool TryInverse(ReadOnlySpan<float> x, float inverseScale, int minLevel, int maxLevel, ref float bestScale, ref float bestScore)
    {
        var inverse = Vector256.Create(inverseScale);
        Vector256<float> bottom = Vector256.Create((float)minLevel), top = Vector256.Create((float)maxLevel);
        Vector256<float> sumsXL = default, sumsLL = default;
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var v = Load(x, i);
            var l = Level(v * inverse, bottom, top);
            sumsXL = Vector256.FusedMultiplyAdd(v, l, sumsXL);
            sumsLL = Vector256.FusedMultiplyAdd(l, l, sumsLL);
        }
        float sumXL = Sum(sumsXL), sumLL = Sum(sumsLL);
        if (!(sumLL > 0 && sumXL * sumXL > bestScore * (1 + 1e-6f) * sumLL))
            return false;
        bestScore = sumXL * sumXL / sumLL;
        bestScale = sumXL / sumLL;
        return true;
    }
}

namespace Tessera.Tensors.Quants;

/// <summary>
/// Fits one sub-block as value ≈ scale * level + offset with integer levels 0..maxLevel, scale ≥ 0 and
/// offset ≤ 0 (the K-quant formats store the offset as a non-negative "min" that is subtracted),
/// minimising the plain squared error.
/// </summary>
internal static class AffineFit
{
    /// <summary>Candidate level counts tried for the min..max range: maxLevel + FirstStretch + StretchStep * k.</summary>
    private const float FirstStretch = -1f, StretchStep = 0.1f;
    private const int StretchCandidates = 26;

    /// <summary>Rounds of re-picking levels and re-fitting after the candidate sweep.</summary>
    private const int RefineRounds = 4;

    /// <summary>Writes the best levels and returns the fit; error is the sum of squared differences.</summary>
    public static (float Scale, float Offset, float Error) Fit(ReadOnlySpan<float> x, int maxLevel, Span<byte> levels)
    {
        var (min, max) = QuantMath.MinMax(x);
        min = MathF.Min(min, 0);
        if (max == min)
        {
            levels.Clear();
            return (0, min, ErrorOf(x, levels, 0, min));
        }

        Span<byte> trial = stackalloc byte[x.Length];
        float bestScale = (max - min) / maxLevel, bestOffset = min;
        float bestError = Assign(x, bestScale, bestOffset, maxLevel, levels);

        for (int k = 0; k < StretchCandidates; k++)
        {
            float stretchedScale = (max - min) / (maxLevel + FirstStretch + StretchStep * k);
            Assign(x, stretchedScale, min, maxLevel, trial);
            TryRefit(x, trial, levels, ref bestScale, ref bestOffset, ref bestError);
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            Assign(x, bestScale, bestOffset, maxLevel, trial);
            if (!TryRefit(x, trial, levels, ref bestScale, ref bestOffset, ref bestError))
                break;
        }
        return (bestScale, bestOffset, bestError);
    }

    /// <summary>Nearest level for each value under a fixed scale and offset; returns the squared error.</summary>
    public static float Assign(ReadOnlySpan<float> x, float scale, float offset, int maxLevel, Span<byte> levels)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        float error = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int level = Math.Clamp(QuantMath.NearestInt((x[i] - offset) * inverse), 0, maxLevel);
            levels[i] = (byte)level;
            float diff = scale * level + offset - x[i];
            error += diff * diff;
        }
        return error;
    }

    /// <summary>
    /// Least-squares scale and offset for fixed levels (offset clamped to ≤ 0); adopts them with the
    /// levels when the error improves.
    /// </summary>
    private static bool TryRefit(ReadOnlySpan<float> x, ReadOnlySpan<byte> trial, Span<byte> levels,
        ref float bestScale, ref float bestOffset, ref float bestError)
    {
        float n = x.Length, sumL = 0, sumLL = 0, sumX = 0, sumLX = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float l = trial[i];
            sumL += l;
            sumLL += l * l;
            sumX += x[i];
            sumLX += l * x[i];
        }
        float det = n * sumLL - sumL * sumL;
        if (!(det > 0))
            return false;
        float scale = (n * sumLX - sumL * sumX) / det;
        float offset = (sumLL * sumX - sumL * sumLX) / det;
        if (offset > 0)
        {
            offset = 0;
            scale = sumLX / sumLL;
        }
        if (!(scale > 0))
            return false;
        float error = ErrorOf(x, trial, scale, offset);
        if (!(error < bestError))
            return false;
        trial.CopyTo(levels);
        (bestScale, bestOffset, bestError) = (scale, offset, error);
        return true;
    }

    private static float ErrorOf(ReadOnlySpan<float> x, ReadOnlySpan<byte> levels, float scale, float offset)
    {
        float error = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float diff = scale * levels[i] + offset - x[i];
            error += diff * diff;
        }
        return error;
    }
}

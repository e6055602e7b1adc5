namespace Tessera.Tensors.Quants;

/// <summary>
/// Fits one sub-block as value ≈ scale * level + offset with integer levels 0..maxLevel, scale ≥ 0 and
/// offset ≤ 0 (the K-quant formats store the offset as a non-negative "min" that is subtracted),
/// minimising the plain squared error.
/// Each candidate costs one pass: levels are picked for a trial scale, and the least-squares scale and
/// offset for those levels and their error follow from five sums.
/// </summary>
internal static class AffineFit
{
    /// <summary>Candidate level counts tried for the min..max range: maxLevel + FirstStretch + StretchStep * k.</summary>
    private const float FirstStretch = -0.8f, StretchStep = 0.1f;
    private const int StretchCandidates = 17;

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
            return (0, min, Assign(x, 0, min, maxLevel, levels));
        }

        float sumX = 0, sumXX = 0;
        foreach (float v in x)
        {
            sumX += v;
            sumXX += v * v;
        }
        var best = new Candidate((max - min) / maxLevel, min, float.PositiveInfinity);
        for (int k = 0; k < StretchCandidates; k++)
        {
            float trialScale = (max - min) / (maxLevel + FirstStretch + StretchStep * k);
            var candidate = LeastSquares(x, trialScale, min, maxLevel, sumX, sumXX);
            if (candidate.Error < best.Error)
                best = candidate;
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            var candidate = LeastSquares(x, best.Scale, best.Offset, maxLevel, sumX, sumXX);
            if (!(candidate.Error < best.Error))
                break;
            best = candidate;
        }
        // Re-picking levels for the final scale and offset can only lower the error further.
        return (best.Scale, best.Offset, Assign(x, best.Scale, best.Offset, maxLevel, levels));
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

    private readonly record struct Candidate(float Scale, float Offset, float Error);

    /// <summary>
    /// Picks levels for a trial scale and offset, then returns the least-squares scale and offset for those
    /// levels (offset clamped to ≤ 0) with their error, expanded from the sums:
    /// E = Σx² - 2sΣlx - 2mΣx + s²Σl² + 2smΣl + n·m².
    /// </summary>
    private static Candidate LeastSquares(ReadOnlySpan<float> x, float trialScale, float trialOffset, int maxLevel, float sumX, float sumXX)
    {
        float inverse = QuantMath.InverseOrZero(trialScale);
        float sumL = 0, sumLL = 0, sumLX = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float l = Math.Clamp(QuantMath.NearestInt((x[i] - trialOffset) * inverse), 0, maxLevel);
            sumL += l;
            sumLL += l * l;
            sumLX += l * x[i];
        }
        double n = x.Length, det = n * sumLL - (double)sumL * sumL;
        if (!(det > 0))
            return new Candidate(trialScale, trialOffset, float.PositiveInfinity);
        double scale = (n * sumLX - (double)sumL * sumX) / det;
        double offset = ((double)sumLL * sumX - (double)sumL * sumLX) / det;
        if (offset > 0)
        {
            offset = 0;
            scale = sumLX / (double)sumLL;
        }
        if (!(scale > 0))
            return new Candidate(trialScale, trialOffset, float.PositiveInfinity);
        double error = sumXX - 2 * scale * sumLX - 2 * offset * sumX + scale * scale * sumLL + 2 * scale * offset * sumL + n * offset * offset;
        return new Candidate((float)scale, (float)offset, (float)Math.Max(0, error));
    }
}

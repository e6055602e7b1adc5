using System.Runtime.Intrinsics;
using static Tessera.Tensors.Quants.VectorSums;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Fits one sub-block as value ≈ scale * level + offset with integer levels 0..maxLevel, scale ≥ 0 and
/// offset ≤ 0 (the K-quant formats store the offset as a non-negative "min" that is subtracted),
/// minimising the plain squared error.
/// Each candidate costs one vector pass: levels are picked for a trial scale, and the least-squares scale and
/// offset for those levels and their error follow from five sums.
/// </summary>
internal static class AffineFit
{
    /// <summary>
    /// Candidate level counts tried for the min..max range: maxLevel + FirstStretch + StretchStep * k. The fit
    /// only centres the code search, so a coarse sweep loses nothing measurable.
    /// </summary>
    private const float FirstStretch = -0.8f, StretchStep = 0.4f;
    private const int StretchCandidates = 5;

    /// <summary>Rounds of re-picking levels and re-fitting after the candidate sweep; later rounds gain little.</summary>
    private const int RefineRounds = 1;

    /// <summary>The best scale and offset for a sub-block whose length is a multiple of <see cref="Lanes"/>.</summary>
    public static (float Scale, float Offset) Fit(ReadOnlySpan<float> x, int maxLevel)
    {
        var (min, max, sumX, sumXX) = Moments(x);
        min = MathF.Min(min, 0);
        if (max == min)
            return (0, min);

        float inverseRange = 1 / (max - min);
        var best = new Candidate((max - min) / maxLevel, min, float.PositiveInfinity);
        for (int k = 0; k < StretchCandidates; k++)
        {
            float trialInverse = (maxLevel + FirstStretch + StretchStep * k) * inverseRange;
            var candidate = LeastSquares(x, trialInverse, min, maxLevel, sumX, sumXX);
            if (candidate.Error < best.Error)
                best = candidate;
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            var candidate = LeastSquares(x, QuantMath.InverseOrZero(best.Scale), best.Offset, maxLevel, sumX, sumXX);
            if (!(candidate.Error < best.Error))
                break;
            best = candidate;
        }
        return (best.Scale, best.Offset);
    }

    /// <summary>Nearest level for each value under a fixed scale and offset (the levels <see cref="Error"/> measures).</summary>
    public static void Assign(ReadOnlySpan<float> x, float scale, float offset, int maxLevel, Span<byte> levels)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        Vector256<float> vInverse = Vector256.Create(inverse), shift = Vector256.Create(-offset * inverse), top = Vector256.Create((float)maxLevel);
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var level = Vector256.ConvertToInt32(Level(Vector256.FusedMultiplyAdd(Load(x, i), vInverse, shift), Vector256<float>.Zero, top));
            for (int lane = 0; lane < Lanes; lane++)
                levels[i + lane] = (byte)level[lane];
        }
    }

    /// <summary>Squared error of the levels <see cref="Assign"/> would pick (one vector pass, nothing written).</summary>
    public static float Error(ReadOnlySpan<float> x, float scale, float offset, int maxLevel)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        Vector256<float> vInverse = Vector256.Create(inverse), shift = Vector256.Create(-offset * inverse);
        Vector256<float> vScale = Vector256.Create(scale), vOffset = Vector256.Create(offset), top = Vector256.Create((float)maxLevel);
        var error = Vector256<float>.Zero;
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var v = Load(x, i);
            var level = Level(Vector256.FusedMultiplyAdd(v, vInverse, shift), Vector256<float>.Zero, top);
            var diff = Vector256.FusedMultiplyAdd(level, vScale, vOffset) - v;
            error = Vector256.FusedMultiplyAdd(diff, diff, error);
        }
        return Sum(error);
    }

    /// <summary>Smallest and largest value, Σx and Σx² in one vector pass.</summary>
    private static (float Min, float Max, float SumX, float SumXX) Moments(ReadOnlySpan<float> x)
    {
        Vector256<float> min = Load(x, 0), max = min, sum = default, sumSquares = default;
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var v = Load(x, i);
            min = Vector256.Min(min, v);
            max = Vector256.Max(max, v);
            sum += v;
            sumSquares += v * v;
        }
        float lowest = min[0], highest = max[0];
        for (int lane = 1; lane < Lanes; lane++)
        {
            lowest = MathF.Min(lowest, min[lane]);
            highest = MathF.Max(highest, max[lane]);
        }
        return (lowest, highest, Sum(sum), Sum(sumSquares));
    }

    private readonly record struct Candidate(float Scale, float Offset, float Error);

    /// <summary>A candidate whose levels admit no positive scale; never chosen.</summary>
    private static readonly Candidate Failed = new(0, 0, float.PositiveInfinity);

    /// <summary>
    /// Picks levels for a trial scale (given as its inverse) and offset, then returns the least-squares scale and offset for those
    /// levels (offset clamped to ≤ 0) with their error, expanded from the sums:
    /// E = Σx² - 2sΣlx - 2mΣx + s²Σl² + 2smΣl + n·m².
    /// </summary>
    private static Candidate LeastSquares(ReadOnlySpan<float> x, float inverse, float trialOffset, int maxLevel, float sumX, float sumXX)
    {
        Vector256<float> vInverse = Vector256.Create(inverse), shift = Vector256.Create(-trialOffset * inverse), top = Vector256.Create((float)maxLevel);
        Vector256<float> sumsL = default, sumsLL = default, sumsLX = default;
        for (int i = 0; i < x.Length; i += Lanes)
        {
            var v = Load(x, i);
            var l = Level(Vector256.FusedMultiplyAdd(v, vInverse, shift), Vector256<float>.Zero, top);
            sumsL += l;
            sumsLL = Vector256.FusedMultiplyAdd(l, l, sumsLL);
            sumsLX = Vector256.FusedMultiplyAdd(l, v, sumsLX);
        }
        float sumL = Sum(sumsL), sumLL = Sum(sumsLL), sumLX = Sum(sumsLX);
        double n = x.Length, det = n * sumLL - (double)sumL * sumL;
        if (!(det > 0))
            return Failed;
        double inverseDet = 1 / det;
        double scale = (n * sumLX - (double)sumL * sumX) * inverseDet;
        double offset = ((double)sumLL * sumX - (double)sumL * sumLX) * inverseDet;
        if (offset > 0)
        {
            offset = 0;
            scale = sumLX / (double)sumLL;
        }
        if (!(scale > 0))
            return Failed;
        double error = sumXX - 2 * scale * sumLX - 2 * offset * sumX + scale * scale * sumLL + 2 * scale * offset * sumL + n * offset * offset;
        return new Candidate((float)scale, (float)offset, (float)Math.Max(0, error));
    }
}

namespace Tessera.Tensors.Quants;

/// <summary>
/// Shape of a scale-and-min K-quant (Q2_K, Q4_K, Q5_K): sub-blocks of <paramref name="SubBlockSize"/> values
/// with levels 0..<paramref name="MaxLevel"/>; each sub-block's scale and min are integer codes
/// 0..<paramref name="MaxCode"/> times the super-block's half d and dmin.
/// value = d * scaleCode * level - dmin * minCode.
/// </summary>
internal readonly record struct AffineLayout(int SubBlockSize, int MaxLevel, int MaxCode);

/// <summary>
/// Quantizes one 256-value super-block of a scale-and-min K-quant:
/// 1. each sub-block gets its best float scale and min (<see cref="AffineFit"/>);
/// 2. d and dmin make the largest scale and min the top code;
/// 3. each sub-block picks the codes (the rounded ones or a neighbour) and levels with the smallest error.
/// A wide code search pays off more than re-fitting d and dmin afterwards: on weight-like data a ±2 search
/// without re-fit beats a ±1 search with two re-fit rounds, at about half the passes.
/// </summary>
internal static class AffineSuperBlock
{
    /// <summary>How far from the rounded codes the search looks: (2·2 + 1)² = 25 code pairs per sub-block.</summary>
    private const int CodeNeighbourhood = 2;
    private const int CodePairs = (2 * CodeNeighbourhood + 1) * (2 * CodeNeighbourhood + 1);

    public static (ushort D, ushort DMin) Quantize(ReadOnlySpan<float> x, AffineLayout layout,
        Span<byte> levels, Span<byte> scaleCodes, Span<byte> minCodes)
    {
        int size = layout.SubBlockSize, count = x.Length / size;
        Span<float> scales = stackalloc float[count];
        Span<float> mins = stackalloc float[count];
        for (int j = 0; j < count; j++)
        {
            var (scale, offset) = AffineFit.Fit(x.Slice(j * size, size), layout.MaxLevel);
            scales[j] = scale;
            mins[j] = -offset;
        }

        ushort d = HalfConversion.ToHalf(Max(scales) / layout.MaxCode);
        ushort dMin = HalfConversion.ToHalf(Max(mins) / layout.MaxCode);
        ChooseCodes(x, layout, scales, mins, d, dMin, levels, scaleCodes, minCodes);
        return (d, dMin);
    }

    /// <summary>For each sub-block, the codes near scale/d and min/dmin with the smallest error, and its levels for them.</summary>
    private static void ChooseCodes(ReadOnlySpan<float> x, AffineLayout layout, ReadOnlySpan<float> scales, ReadOnlySpan<float> mins,
        ushort dHalf, ushort dMinHalf, Span<byte> levels, Span<byte> scaleCodes, Span<byte> minCodes)
    {
        float d = HalfConversion.ToSingle(dHalf), dMin = HalfConversion.ToSingle(dMinHalf);
        int size = layout.SubBlockSize;
        // All errors first, then the smallest: no branch waits on an error, so the passes overlap.
        Span<float> errors = stackalloc float[CodePairs];
        for (int j = 0; j < scales.Length; j++)
        {
            ReadOnlySpan<float> xs = x.Slice(j * size, size);
            int scale0 = RoundedCode(scales[j], d, layout.MaxCode), min0 = RoundedCode(mins[j], dMin, layout.MaxCode);
            int scaleLow = Math.Max(0, scale0 - CodeNeighbourhood), scaleHigh = Math.Min(layout.MaxCode, scale0 + CodeNeighbourhood);
            int minLow = Math.Max(0, min0 - CodeNeighbourhood), minHigh = Math.Min(layout.MaxCode, min0 + CodeNeighbourhood);
            int minCount = minHigh - minLow + 1, count = 0;
            for (int sc = scaleLow; sc <= scaleHigh; sc++)
            {
                for (int m = minLow; m <= minHigh; m++)
                    errors[count++] = AffineFit.Error(xs, d * sc, -(dMin * m), layout.MaxLevel);
            }
            int best = QuantMath.IndexOfSmallest(errors[..count]);
            var (scaleCode, minCode) = best < 0 ? (scale0, min0) : (scaleLow + best / minCount, minLow + best % minCount);
            scaleCodes[j] = (byte)scaleCode;
            minCodes[j] = (byte)minCode;
            AffineFit.Assign(xs, d * scaleCode, -(dMin * minCode), layout.MaxLevel, levels.Slice(j * size, size));
        }
    }

    private static int RoundedCode(float value, float unit, int maxCode) =>
        unit > 0 ? Math.Clamp(QuantMath.NearestInt(value / unit), 0, maxCode) : 0;

    private static float Max(ReadOnlySpan<float> values)
    {
        float max = 0;
        foreach (float v in values)
            max = MathF.Max(max, v);
        return max;
    }
}

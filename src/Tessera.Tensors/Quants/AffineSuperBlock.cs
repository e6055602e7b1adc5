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
/// 2. d and dmin make the largest scale and min the top code; each sub-block then picks the codes
///    (the rounded ones or a neighbour) and levels with the smallest error;
/// 3. d and dmin are re-fitted by least squares for those codes and levels, and step 2 repeats while the
///    error drops.
/// </summary>
internal static class AffineSuperBlock
{
    /// <summary>How far from the rounded code the code search looks (±1 catches the rounding's worst cases).</summary>
    private const int CodeNeighbourhood = 1;

    /// <summary>Re-fits of d and dmin; gains vanish after two.</summary>
    private const int RefitRounds = 2;

    public static (ushort D, ushort DMin) Quantize(ReadOnlySpan<float> x, AffineLayout layout,
        Span<byte> levels, Span<byte> scaleCodes, Span<byte> minCodes)
    {
        int size = layout.SubBlockSize, count = x.Length / size;
        Span<float> scales = stackalloc float[count];
        Span<float> mins = stackalloc float[count];
        for (int j = 0; j < count; j++)
        {
            var fit = AffineFit.Fit(x.Slice(j * size, size), layout.MaxLevel, levels.Slice(j * size, size));
            scales[j] = fit.Scale;
            mins[j] = -fit.Offset;
        }

        ushort d = HalfConversion.ToHalf(Max(scales) / layout.MaxCode);
        ushort dMin = HalfConversion.ToHalf(Max(mins) / layout.MaxCode);
        float error = ChooseCodes(x, layout, scales, mins, d, dMin, levels, scaleCodes, minCodes);

        Span<byte> trialLevels = stackalloc byte[x.Length];
        Span<byte> trialScaleCodes = stackalloc byte[count];
        Span<byte> trialMinCodes = stackalloc byte[count];
        for (int round = 0; round < RefitRounds; round++)
        {
            if (!RefitSuperScales(x, size, levels, scaleCodes, minCodes, out float refitD, out float refitDMin))
                break;
            ushort trialD = HalfConversion.ToHalf(refitD), trialDMin = HalfConversion.ToHalf(refitDMin);
            float trialError = ChooseCodes(x, layout, scales, mins, trialD, trialDMin, trialLevels, trialScaleCodes, trialMinCodes);
            if (!(trialError < error))
                break;
            (error, d, dMin) = (trialError, trialD, trialDMin);
            trialLevels.CopyTo(levels);
            trialScaleCodes.CopyTo(scaleCodes);
            trialMinCodes.CopyTo(minCodes);
        }
        return (d, dMin);
    }

    /// <summary>For each sub-block, the codes near scale/d and min/dmin with the smallest error; returns the total error.</summary>
    private static float ChooseCodes(ReadOnlySpan<float> x, AffineLayout layout, ReadOnlySpan<float> scales, ReadOnlySpan<float> mins,
        ushort dHalf, ushort dMinHalf, Span<byte> levels, Span<byte> scaleCodes, Span<byte> minCodes)
    {
        float d = HalfConversion.ToSingle(dHalf), dMin = HalfConversion.ToSingle(dMinHalf);
        int size = layout.SubBlockSize;
        Span<byte> trial = stackalloc byte[size];
        float total = 0;
        for (int j = 0; j < scales.Length; j++)
        {
            ReadOnlySpan<float> xs = x.Slice(j * size, size);
            int scale0 = RoundedCode(scales[j], d, layout.MaxCode), min0 = RoundedCode(mins[j], dMin, layout.MaxCode);
            float best = float.PositiveInfinity;
            for (int sc = Math.Max(0, scale0 - CodeNeighbourhood); sc <= Math.Min(layout.MaxCode, scale0 + CodeNeighbourhood); sc++)
            {
                for (int m = Math.Max(0, min0 - CodeNeighbourhood); m <= Math.Min(layout.MaxCode, min0 + CodeNeighbourhood); m++)
                {
                    float error = AffineFit.Assign(xs, d * sc, -(dMin * m), layout.MaxLevel, trial);
                    if (error < best)
                    {
                        best = error;
                        scaleCodes[j] = (byte)sc;
                        minCodes[j] = (byte)m;
                        trial.CopyTo(levels.Slice(j * size, size));
                    }
                }
            }
            total += best;
        }
        return total;
    }

    /// <summary>
    /// Least-squares d and dmin for fixed codes and levels: minimise Σ (d·a - dmin·b - x)² with
    /// a = scaleCode·level, b = minCode (normal equations of a 2x2 system).
    /// </summary>
    private static bool RefitSuperScales(ReadOnlySpan<float> x, int size, ReadOnlySpan<byte> levels,
        ReadOnlySpan<byte> scaleCodes, ReadOnlySpan<byte> minCodes, out float d, out float dMin)
    {
        double saa = 0, sab = 0, sbb = 0, sax = 0, sbx = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = scaleCodes[i / size] * levels[i], b = minCodes[i / size];
            saa += a * a;
            sab += a * b;
            sbb += b * b;
            sax += a * x[i];
            sbx += b * x[i];
        }
        double det = saa * sbb - sab * sab;
        if (det > 0)
        {
            d = (float)((sax * sbb - sbx * sab) / det);
            dMin = (float)(-(saa * sbx - sab * sax) / det);
            return true;
        }
        (d, dMin) = (saa > 0 && sbb == 0) ? ((float)(sax / saa), 0f) : (0f, 0f);
        return saa > 0 && sbb == 0;
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

namespace Tessera.Tensors.Quants;

/// <summary>
/// Shape of a scale-only K-quant (Q3_K, Q6_K): sub-blocks of <paramref name="SubBlockSize"/> values with
/// levels <paramref name="MinLevel"/>..<paramref name="MaxLevel"/>, each sub-block's scale an integer code
/// <paramref name="MinCode"/>..<paramref name="MaxCode"/> times the super-block's half d. value = d * code * level.
/// </summary>
internal readonly record struct SymmetricLayout(int SubBlockSize, int MinLevel, int MaxLevel, int MinCode, int MaxCode);

/// <summary>
/// Quantizes one 256-value super-block of a scale-only K-quant, in the same three steps as
/// <see cref="AffineSuperBlock"/>: per-sub-block float scales, codes chosen among the rounded one and its
/// neighbours for the smallest error, then a least-squares re-fit of d while the error drops.
/// </summary>
internal static class SymmetricSuperBlock
{
    /// <summary>How far from the rounded code the code search looks.</summary>
    private const int CodeNeighbourhood = 1;

    /// <summary>Re-fits of d; gains vanish after two.</summary>
    private const int RefitRounds = 2;

    public static ushort Quantize(ReadOnlySpan<float> x, SymmetricLayout layout, Span<sbyte> levels, Span<sbyte> codes)
    {
        int size = layout.SubBlockSize, count = x.Length / size;
        Span<float> scales = stackalloc float[count];
        for (int j = 0; j < count; j++)
            scales[j] = SymmetricFit.Fit(x.Slice(j * size, size), layout.MinLevel, layout.MaxLevel, levels.Slice(j * size, size));

        // The largest scale becomes the most negative code, the end with one code more.
        ushort d = HalfConversion.ToHalf(QuantMath.LargestMagnitude(scales) / layout.MinCode);
        float error = ChooseCodes(x, layout, scales, d, levels, codes);

        Span<sbyte> trialLevels = stackalloc sbyte[x.Length];
        Span<sbyte> trialCodes = stackalloc sbyte[count];
        for (int round = 0; round < RefitRounds; round++)
        {
            if (!RefitSuperScale(x, size, levels, codes, out float refitD))
                break;
            ushort trialD = HalfConversion.ToHalf(refitD);
            float trialError = ChooseCodes(x, layout, scales, trialD, trialLevels, trialCodes);
            if (!(trialError < error))
                break;
            (error, d) = (trialError, trialD);
            trialLevels.CopyTo(levels);
            trialCodes.CopyTo(codes);
        }
        return d;
    }

    private static float ChooseCodes(ReadOnlySpan<float> x, SymmetricLayout layout, ReadOnlySpan<float> scales,
        ushort dHalf, Span<sbyte> levels, Span<sbyte> codes)
    {
        float d = HalfConversion.ToSingle(dHalf);
        int size = layout.SubBlockSize;
        Span<sbyte> trial = stackalloc sbyte[size];
        float total = 0;
        for (int j = 0; j < scales.Length; j++)
        {
            ReadOnlySpan<float> xs = x.Slice(j * size, size);
            int code0 = d != 0 && float.IsFinite(d) ? Math.Clamp(QuantMath.NearestInt(scales[j] / d), layout.MinCode, layout.MaxCode) : 0;
            float best = float.PositiveInfinity;
            for (int code = Math.Max(layout.MinCode, code0 - CodeNeighbourhood); code <= Math.Min(layout.MaxCode, code0 + CodeNeighbourhood); code++)
            {
                float error = SymmetricFit.Assign(xs, d * code, layout.MinLevel, layout.MaxLevel, trial);
                if (error < best)
                {
                    best = error;
                    codes[j] = (sbyte)code;
                    trial.CopyTo(levels.Slice(j * size, size));
                }
            }
            total += best;
        }
        return total;
    }

    /// <summary>Least-squares d for fixed codes and levels: d = Σ x·a / Σ a², a = code·level.</summary>
    private static bool RefitSuperScale(ReadOnlySpan<float> x, int size, ReadOnlySpan<sbyte> levels, ReadOnlySpan<sbyte> codes, out float d)
    {
        double saa = 0, sax = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = codes[i / size] * levels[i];
            saa += a * a;
            sax += a * x[i];
        }
        d = saa > 0 ? (float)(sax / saa) : 0;
        return saa > 0;
    }
}

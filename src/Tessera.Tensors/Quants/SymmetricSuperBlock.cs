namespace Tessera.Tensors.Quants;

/// <summary>
/// Shape of a scale-only K-quant (Q3_K, Q6_K): sub-blocks of <paramref name="SubBlockSize"/> values with
/// levels <paramref name="MinLevel"/>..<paramref name="MaxLevel"/>, each sub-block's scale an integer code
/// <paramref name="MinCode"/>..<paramref name="MaxCode"/> times the super-block's half d. value = d * code * level.
/// </summary>
internal readonly record struct SymmetricLayout(int SubBlockSize, int MinLevel, int MaxLevel, int MinCode, int MaxCode);

/// <summary>
/// Quantizes one 256-value super-block of a scale-only K-quant in the steps of <see cref="AffineSuperBlock"/>:
/// per-sub-block float scales, d from the largest, then per sub-block the code near scale/d (the rounded one or
/// a neighbour) and levels with the smallest error.
/// </summary>
internal static class SymmetricSuperBlock
{
    /// <summary>How far from the rounded code the search looks: 5 codes per sub-block.</summary>
    private const int CodeNeighbourhood = 2;

    public static ushort Quantize(ReadOnlySpan<float> x, SymmetricLayout layout, Span<sbyte> levels, Span<sbyte> codes)
    {
        int size = layout.SubBlockSize, count = x.Length / size;
        Span<float> scales = stackalloc float[count];
        for (int j = 0; j < count; j++)
            scales[j] = SymmetricFit.Fit(x.Slice(j * size, size), layout.MinLevel, layout.MaxLevel);

        // The largest scale becomes the most negative code, the end with one code more.
        ushort d = HalfConversion.ToHalf(QuantMath.LargestMagnitude(scales) / layout.MinCode);
        ChooseCodes(x, layout, scales, d, levels, codes);
        return d;
    }

    /// <summary>For each sub-block, the code near scale/d with the smallest error, and its levels for it.</summary>
    private static void ChooseCodes(ReadOnlySpan<float> x, SymmetricLayout layout, ReadOnlySpan<float> scales,
        ushort dHalf, Span<sbyte> levels, Span<sbyte> codes)
    {
        float d = HalfConversion.ToSingle(dHalf);
        int size = layout.SubBlockSize;
        // All errors first, then the smallest: no branch waits on an error, so the passes overlap.
        Span<float> errors = stackalloc float[2 * CodeNeighbourhood + 1];
        for (int j = 0; j < scales.Length; j++)
        {
            ReadOnlySpan<float> xs = x.Slice(j * size, size);
            int code0 = d != 0 && float.IsFinite(d) ? Math.Clamp(QuantMath.NearestInt(scales[j] / d), layout.MinCode, layout.MaxCode) : 0;
            int low = Math.Max(layout.MinCode, code0 - CodeNeighbourhood), high = Math.Min(layout.MaxCode, code0 + CodeNeighbourhood);
            for (int code = low; code <= high; code++)
                errors[code - low] = SymmetricFit.Error(xs, d * code, layout.MinLevel, layout.MaxLevel);
            int best = QuantMath.IndexOfSmallest(errors[..(high - low + 1)]);
            int bestCode = best < 0 ? code0 : low + best;
            codes[j] = (sbyte)bestCode;
            SymmetricFit.Assign(xs, d * bestCode, layout.MinLevel, layout.MaxLevel, levels.Slice(j * size, size));
        }
    }
}

using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// IQ4_NL: 32 values as 4-bit indices into a fixed non-linear table (denser near zero, where
/// normally distributed weights are) with one half scale d; value = d * Table[q].
/// Nibble order as in Q4_0.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockIQ4_NL : IQuantBlock<BlockIQ4_NL>
{
    public ushort D;     // half scale
    public Bytes16 Qs;   // 32 x 4-bit table index

    public static GgmlType Type => GgmlType.IQ4_NL;
    public static int ElementCount => IQ4_NL.BlockSize;
    public static void DequantizeBlock(in BlockIQ4_NL block, Span<float> destination) => IQ4_NL.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockIQ4_NL block) => IQ4_NL.QuantizeBlock(source, out block);
}

public static class IQ4_NL
{
    public const int BlockSize = 32;

    /// <summary>Steps tried either side of mapping the largest value onto an end of the table.</summary>
    private const int ScaleSteps = 7;

    /// <summary>Refinement rounds (re-pick indices, re-fit the scale); the error stops improving after a few.</summary>
    private const int RefineRounds = 4;

    /// <summary>The format's table of 16 levels, sorted ascending.</summary>
    public static ReadOnlySpan<sbyte> Table => Levels;

    // An array field rather than a span literal: the hot loops index it directly.
    private static readonly sbyte[] Levels = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockIQ4_NL>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockIQ4_NL>(source, destination);

    public static void DequantizeBlock(in BlockIQ4_NL block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            y[j] = d * Levels[block.Qs[j] & 0x0F];
            y[j + BlockSize / 2] = d * Levels[block.Qs[j] >> 4];
        }
    }

    /// <summary>
    /// Least-squares scale search: candidate scales put the largest value at or near either end of the
    /// table; for each, indices are picked by nearest level and the scale re-fitted (d = Σxq / Σq²);
    /// the best is refined, rounded to half, and the indices picked again for the stored scale.
    /// </summary>
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockIQ4_NL block)
    {
        block = default;
        ReadOnlySpan<float> x = source[..BlockSize];
        float largest = QuantMath.LargestMagnitude(x);
        if (largest == 0)
            return;

        float bestScale = 0, bestScore = -1;
        for (int step = -ScaleSteps; step <= ScaleSteps; step++)
        {
            TryScale(x, largest / (Levels[0] + step), ref bestScale, ref bestScore);
            TryScale(x, largest / (Levels[^1] + step), ref bestScale, ref bestScore);
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            if (!TryScale(x, bestScale, ref bestScale, ref bestScore))
                break;
        }

        Span<byte> q = stackalloc byte[BlockSize];
        block.D = HalfConversion.ToHalf(bestScale);
        PickIndices(x, HalfConversion.ToSingle(block.D), q);
        for (int j = 0; j < BlockSize / 2; j++)
            block.Qs[j] = (byte)(q[j] | q[j + BlockSize / 2] << 4);
    }

    /// <summary>
    /// Picks indices for <paramref name="scale"/>, fits the least-squares scale for them and keeps it when
    /// its score (Σxq)²/Σq² is higher (error = Σx² - score). One pass; returns whether it improved.
    /// </summary>
    private static bool TryScale(ReadOnlySpan<float> x, float scale, ref float bestScale, ref float bestScore)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        float sumXq = 0, sumQq = 0;
        for (int j = 0; j < x.Length; j++)
        {
            float level = Levels[NearestIndex(x[j] * inverse)];
            sumXq += x[j] * level;
            sumQq += level * level;
        }
        float score = sumXq * sumXq / sumQq; // sumQq > 0: the table has no zero
        if (!(score > bestScore * (1 + 1e-6f)))
            return false;
        bestScore = score;
        bestScale = sumXq / sumQq;
        return true;
    }

    private static void PickIndices(ReadOnlySpan<float> x, float scale, Span<byte> q)
    {
        float inverse = QuantMath.InverseOrZero(scale);
        for (int j = 0; j < x.Length; j++)
            q[j] = NearestIndex(x[j] * inverse);
    }

    /// <summary>Index of the table level nearest to <paramref name="value"/> (ties to the upper level).</summary>
    public static byte NearestIndex(float value)
    {
        // The levels are integers, so the value's integer bin knows the level at or below it and the midpoint
        // to the next level. Saturating float->int conversion sends NaN to bin 0 and clamps huge values.
        int bin = Math.Clamp((int)(value - BinFloor), 0, Bins - 1);
        return (byte)(LevelAtOrBelow[bin] + (value >= MidpointAbove[bin] ? 1 : 0));
    }

    /// <summary>Integer bins cover [-128, 128): every level and every midpoint lies inside.</summary>
    private const float BinFloor = -128f;
    private const int Bins = 256;

    /// <summary>Per bin [b, b + 1) of values: the index of the last level ≤ b (0 when none is).</summary>
    private static readonly byte[] LevelAtOrBelow = BuildLookup(out MidpointAbove);

    /// <summary>Per bin: the midpoint between that level and the next (+∞ after the last level).</summary>
    private static readonly float[] MidpointAbove;

    private static byte[] BuildLookup(out float[] midpoints)
    {
        var below = new byte[Bins];
        midpoints = new float[Bins];
        for (int bin = 0; bin < Bins; bin++)
        {
            int index = 0;
            while (index + 1 < Levels.Length && Levels[index + 1] <= bin + BinFloor)
                index++;
            below[bin] = (byte)index;
            midpoints[bin] = index + 1 < Levels.Length ? (Levels[index] + Levels[index + 1]) / 2f : float.PositiveInfinity;
        }
        return below;
    }
}

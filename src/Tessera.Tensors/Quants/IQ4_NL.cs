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
    public static ReadOnlySpan<sbyte> Table => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockIQ4_NL>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockIQ4_NL>(source, destination);

    public static void DequantizeBlock(in BlockIQ4_NL block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            y[j] = d * Table[block.Qs[j] & 0x0F];
            y[j + BlockSize / 2] = d * Table[block.Qs[j] >> 4];
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

        Span<byte> q = stackalloc byte[BlockSize];
        float bestScale = 0, bestScore = -1;
        for (int step = -ScaleSteps; step <= ScaleSteps; step++)
        {
            TryScale(x, largest / (Table[0] + step), q, ref bestScale, ref bestScore);
            TryScale(x, largest / (Table[^1] + step), q, ref bestScale, ref bestScore);
        }
        for (int round = 0; round < RefineRounds; round++)
        {
            if (!TryScale(x, bestScale, q, ref bestScale, ref bestScore))
                break;
        }

        block.D = HalfConversion.ToHalf(bestScale);
        PickIndices(x, HalfConversion.ToSingle(block.D), q);
        for (int j = 0; j < BlockSize / 2; j++)
            block.Qs[j] = (byte)(q[j] | q[j + BlockSize / 2] << 4);
    }

    /// <summary>
    /// Picks indices for <paramref name="scale"/>, fits the least-squares scale for them and keeps it when
    /// its score (Σxq)²/Σq² is higher (error = Σx² - score). Returns whether it improved.
    /// </summary>
    private static bool TryScale(ReadOnlySpan<float> x, float scale, Span<byte> q, ref float bestScale, ref float bestScore)
    {
        PickIndices(x, scale, q);
        float sumXq = 0, sumQq = 0;
        for (int j = 0; j < x.Length; j++)
        {
            float level = Table[q[j]];
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

    /// <summary>Index of the table level nearest to <paramref name="value"/> (binary search over the sorted table).</summary>
    public static byte NearestIndex(float value)
    {
        ReadOnlySpan<sbyte> table = Table;
        if (value <= table[0])
            return 0;
        if (value >= table[^1])
            return (byte)(table.Length - 1);
        int low = 0, high = table.Length - 1; // table[low] <= value < table[high]
        while (high - low > 1)
        {
            int middle = (low + high) / 2;
            if (value < table[middle]) high = middle; else low = middle;
        }
        return (byte)(value - table[low] < table[high] - value ? low : high);
    }
}

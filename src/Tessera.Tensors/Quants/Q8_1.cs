using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q8_1: Q8_0 plus s = d * sum(q), so a dot product with a Q4_1/Q5_1 block can add the minimum's
/// contribution without summing the quants again. value = d * q.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_1 : IQuantBlock<BlockQ8_1>
{
    public ushort D;     // half scale
    public ushort S;     // half d * sum(q)
    public SBytes32 Qs;  // 32 x int8

    public static GgmlType Type => GgmlType.Q8_1;
    public static int ElementCount => Q8_1.BlockSize;
    public static void DequantizeBlock(in BlockQ8_1 block, Span<float> destination) => Q8_1.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ8_1 block) => Q8_1.QuantizeBlock(source, out block);
}

public static class Q8_1
{
    public const int BlockSize = 32;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ8_1>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ8_1>(source, destination);

    public static void DequantizeBlock(in BlockQ8_1 block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int j = 0; j < BlockSize; j++)
            y[j] = d * block.Qs[j];
    }

    /// <summary>Quants exactly as Q8_0; s uses the unrounded float d.</summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ8_1 block)
    {
        block = default;
        float d = QuantMath.MaxAbs(x[..BlockSize]) / 127f;
        block.D = HalfConversion.ToHalf(d);
        int sum = Int8Rounding.RoundScaled(x[..BlockSize], QuantMath.InverseOrZero(d), block.Qs);
        block.S = HalfConversion.ToHalf(sum * d);
    }
}

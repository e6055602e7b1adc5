using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>Q8_0: 32 values as int8 q with one half scale d; value = d * q.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_0 : IQuantBlock<BlockQ8_0>
{
    public ushort D;     // half scale
    public SBytes32 Qs;  // 32 x int8

    public static GgmlType Type => GgmlType.Q8_0;
    public static int ElementCount => Q8_0.BlockSize;
    public static void DequantizeBlock(in BlockQ8_0 block, Span<float> destination) => Q8_0.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ8_0 block) => Q8_0.QuantizeBlock(source, out block);
}

public static class Q8_0
{
    public const int BlockSize = 32;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ8_0>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ8_0>(source, destination);

    public static void DequantizeBlock(in BlockQ8_0 block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int j = 0; j < BlockSize; j++)
            y[j] = d * block.Qs[j];
    }

    /// <summary>d = max|x| / 127, q = x/d rounded to nearest with ties away from zero (C's roundf).</summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ8_0 block)
    {
        block = default;
        float d = QuantMath.MaxAbs(x[..BlockSize]) / 127f;
        block.D = HalfConversion.ToHalf(d);
        Int8Rounding.RoundScaled(x[..BlockSize], QuantMath.InverseOrZero(d), block.Qs);
    }
}

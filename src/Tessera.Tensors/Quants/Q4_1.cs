using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q4_1: 32 values as 4-bit q with a half scale d and half minimum m; value = d * q + m.
/// Nibble order as in Q4_0 (low nibbles elements 0..15, high nibbles 16..31).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_1 : IQuantBlock<BlockQ4_1>
{
    public ushort D;     // half scale
    public ushort M;     // half minimum
    public Bytes16 Qs;   // 32 x 4-bit

    public static GgmlType Type => GgmlType.Q4_1;
    public static int ElementCount => Q4_1.BlockSize;
    public static void DequantizeBlock(in BlockQ4_1 block, Span<float> destination) => Q4_1.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ4_1 block) => Q4_1.QuantizeBlock(source, out block);
}

public static class Q4_1
{
    public const int BlockSize = 32;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ4_1>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ4_1>(source, destination);

    public static void DequantizeBlock(in BlockQ4_1 block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        float m = HalfConversion.ToSingle(block.M);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            y[j] = d * (block.Qs[j] & 0x0F) + m;
            y[j + BlockSize / 2] = d * (block.Qs[j] >> 4) + m;
        }
    }

    /// <summary>min..max spread over 16 levels: d = (max - min) / 15, q = trunc((x - min) / d + 0.5) clamped to 15.</summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ4_1 block)
    {
        block = default;
        var (min, max) = QuantMath.MinMax(x[..BlockSize]);
        float d = (max - min) / 15f;
        float id = QuantMath.InverseOrZero(d);
        block.D = HalfConversion.ToHalf(d);
        block.M = HalfConversion.ToHalf(min);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            int low = Math.Min(15, (int)((x[j] - min) * id + 0.5f));
            int high = Math.Min(15, (int)((x[j + BlockSize / 2] - min) * id + 0.5f));
            block.Qs[j] = (byte)(low | high << 4);
        }
    }
}

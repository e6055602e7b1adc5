using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q4_0: 32 values as 4-bit q with one half scale d; value = d * (q - 8).
/// Byte j of <see cref="Qs"/> holds element j in its low nibble and element j + 16 in its high nibble.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_0 : IQuantBlock<BlockQ4_0>
{
    public ushort D;     // half scale
    public Bytes16 Qs;   // 32 x 4-bit

    public static GgmlType Type => GgmlType.Q4_0;
    public static int ElementCount => Q4_0.BlockSize;
    public static void DequantizeBlock(in BlockQ4_0 block, Span<float> destination) => Q4_0.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ4_0 block) => Q4_0.QuantizeBlock(source, out block);
}

public static class Q4_0
{
    public const int BlockSize = 32;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ4_0>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ4_0>(source, destination);

    public static void DequantizeBlock(in BlockQ4_0 block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            y[j] = d * ((block.Qs[j] & 0x0F) - 8);
            y[j + BlockSize / 2] = d * ((block.Qs[j] >> 4) - 8);
        }
    }

    /// <summary>
    /// The value of largest magnitude maps to q = 0 (d = that value / -8, so it is exact); the others
    /// round to nearest through truncating x/d + 8.5, clamped to 15. Byte-exact with the format's reference.
    /// </summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ4_0 block)
    {
        block = default;
        float d = QuantMath.LargestMagnitude(x[..BlockSize]) / -8f;
        float id = QuantMath.InverseOrZero(d);
        block.D = HalfConversion.ToHalf(d);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            int low = Math.Min(15, (int)(x[j] * id + 8.5f));
            int high = Math.Min(15, (int)(x[j + BlockSize / 2] * id + 8.5f));
            block.Qs[j] = (byte)(low | high << 4);
        }
    }
}

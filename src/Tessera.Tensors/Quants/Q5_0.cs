using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q5_0: 32 values as 5-bit q with one half scale d; value = d * (q - 16).
/// Low 4 bits as in Q4_0's nibbles; bit 4 of element j is bit j of <see cref="Qh"/> (little-endian uint32).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_0 : IQuantBlock<BlockQ5_0>
{
    public ushort D;     // half scale
    public uint Qh;      // 32 x high bit
    public Bytes16 Qs;   // 32 x low 4 bits

    public static GgmlType Type => GgmlType.Q5_0;
    public static int ElementCount => Q5_0.BlockSize;
    public static void DequantizeBlock(in BlockQ5_0 block, Span<float> destination) => Q5_0.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ5_0 block) => Q5_0.QuantizeBlock(source, out block);
}

public static class Q5_0
{
    public const int BlockSize = 32;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ5_0>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ5_0>(source, destination);

    public static void DequantizeBlock(in BlockQ5_0 block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        Span<byte> q = stackalloc byte[BlockSize];
        FiveBitPacking.Unpack(block.Qs, block.Qh, q);
        for (int j = 0; j < BlockSize; j++)
            y[j] = d * (q[j] - 16);
    }

    /// <summary>As Q4_0 with 32 levels: d = (value of largest magnitude) / -16, q = trunc(x/d + 16.5) clamped to 31.</summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ5_0 block)
    {
        block = default;
        float d = QuantMath.LargestMagnitude(x[..BlockSize]) / -16f;
        float id = QuantMath.InverseOrZero(d);
        block.D = HalfConversion.ToHalf(d);
        Span<byte> q = stackalloc byte[BlockSize];
        for (int j = 0; j < BlockSize; j++)
            q[j] = (byte)Math.Min(31, (int)(x[j] * id + 16.5f));
        block.Qh = FiveBitPacking.Pack(q, block.Qs);
    }
}

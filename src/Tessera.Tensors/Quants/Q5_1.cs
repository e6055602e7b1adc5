using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q5_1: 32 values as 5-bit q with a half scale d and half minimum m; value = d * q + m.
/// Bit layout as in Q5_0.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_1 : IQuantBlock<BlockQ5_1>
{
    public ushort D;     // half scale
    public ushort M;     // half minimum
    public uint Qh;      // 32 x high bit
    public Bytes16 Qs;   // 32 x low 4 bits

    public static GgmlType Type => GgmlType.Q5_1;
    public static int ElementCount => Q5_1.BlockSize;
    public static void DequantizeBlock(in BlockQ5_1 block, Span<float> destination) => Q5_1.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ5_1 block) => Q5_1.QuantizeBlock(source, out block);
}

public static class Q5_1
{
    public const int BlockSize = 32;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ5_1>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ5_1>(source, destination);

    public static void DequantizeBlock(in BlockQ5_1 block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        float m = HalfConversion.ToSingle(block.M);
        Span<byte> q = stackalloc byte[BlockSize];
        FiveBitPacking.Unpack(block.Qs, block.Qh, q);
        for (int j = 0; j < BlockSize; j++)
            y[j] = d * q[j] + m;
    }

    /// <summary>min..max spread over 32 levels: d = (max - min) / 31, q = trunc((x - min) / d + 0.5) clamped to 31.</summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ5_1 block)
    {
        block = default;
        var (min, max) = QuantMath.MinMax(x[..BlockSize]);
        float d = (max - min) / 31f;
        float id = QuantMath.InverseOrZero(d);
        block.D = HalfConversion.ToHalf(d);
        block.M = HalfConversion.ToHalf(min);
        Span<byte> q = stackalloc byte[BlockSize];
        for (int j = 0; j < BlockSize; j++)
            q[j] = (byte)Math.Min(31, (int)((x[j] - min) * id + 0.5f));
        block.Qh = FiveBitPacking.Pack(q, block.Qs);
    }
}

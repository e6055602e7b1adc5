using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q5_K: Q4_K with 5-bit levels: the low 4 bits packed as in Q4_K, bit 4 of value e is bit e / 32 of
/// <see cref="Qh"/>[e % 32]. value = d * scale * q - dmin * min.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_K : IQuantBlock<BlockQ5_K>
{
    public ushort D;         // half super-scale of the scale codes
    public ushort DMin;      // half super-scale of the min codes
    public Bytes12 Scales;   // 8 x (6-bit scale, 6-bit min)
    public Bytes32 Qh;       // 256 x high bit
    public Bytes128 Qs;      // 256 x low 4 bits

    public static GgmlType Type => GgmlType.Q5_K;
    public static int ElementCount => Q5_K.BlockSize;
    public static void DequantizeBlock(in BlockQ5_K block, Span<float> destination) => Q5_K.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ5_K block) => Q5_K.QuantizeBlock(source, out block);
}

public static class Q5_K
{
    public const int BlockSize = GgmlTypeTraits.QK_K;
    private static readonly AffineLayout Layout = new(SubBlockSize: 32, MaxLevel: 31, MaxCode: 63);

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ5_K>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ5_K>(source, destination);

    public static void DequantizeBlock(in BlockQ5_K block, Span<float> y)
    {
        Span<byte> levels = stackalloc byte[BlockSize];
        Q4_K.UnpackNibbles(block.Qs, levels);
        for (int e = 0; e < BlockSize; e++)
            levels[e] |= (byte)(KQuantBits.GetBit(block.Qh, e) << 4);
        Q4_K.DequantizeLevels(block.D, block.DMin, block.Scales, levels, y);
    }

    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ5_K block)
    {
        block = default;
        Span<byte> levels = stackalloc byte[BlockSize];
        (block.D, block.DMin) = Q4_K.QuantizeLevels(x[..BlockSize], Layout, levels, block.Scales);
        Q4_K.PackNibbles(levels, block.Qs);
        KQuantBits.PackBits(levels, 4, block.Qh);
    }
}

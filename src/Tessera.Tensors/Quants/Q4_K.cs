using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q4_K: 256 values in 8 sub-blocks of 32; 4-bit levels q; per sub-block 6-bit scale and min codes packed in
/// 12 bytes (<see cref="KQuantBits"/>). value = d * scale * q - dmin * min.
/// Levels: each 64 values use 32 bytes, the first 32 values in the low nibbles, the next 32 in the high.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_K : IQuantBlock<BlockQ4_K>
{
    public ushort D;         // half super-scale of the scale codes
    public ushort DMin;      // half super-scale of the min codes
    public Bytes12 Scales;   // 8 x (6-bit scale, 6-bit min)
    public Bytes128 Qs;      // 256 x 4-bit

    public static GgmlType Type => GgmlType.Q4_K;
    public static int ElementCount => Q4_K.BlockSize;
    public static void DequantizeBlock(in BlockQ4_K block, Span<float> destination) => Q4_K.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ4_K block) => Q4_K.QuantizeBlock(source, out block);
}

public static class Q4_K
{
    public const int BlockSize = GgmlTypeTraits.QK_K;
    private static readonly AffineLayout Layout = new(SubBlockSize: 32, MaxLevel: 15, MaxCode: 63);

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ4_K>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ4_K>(source, destination);

    public static void DequantizeBlock(in BlockQ4_K block, Span<float> y)
    {
        Span<byte> levels = stackalloc byte[BlockSize];
        UnpackNibbles(block.Qs, levels);
        DequantizeLevels(block.D, block.DMin, block.Scales, levels, y);
    }

    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ4_K block)
    {
        block = default;
        Span<byte> levels = stackalloc byte[BlockSize];
        (block.D, block.DMin) = QuantizeLevels(x[..BlockSize], Layout, levels, block.Scales);
        PackNibbles(levels, block.Qs);
    }

    /// <summary>value = d * scale * level - dmin * min per sub-block of 32 (shared with Q5_K).</summary>
    internal static void DequantizeLevels(ushort dHalf, ushort dMinHalf, ReadOnlySpan<byte> packedScales, ReadOnlySpan<byte> levels, Span<float> y)
    {
        float d = HalfConversion.ToSingle(dHalf), dMin = HalfConversion.ToSingle(dMinHalf);
        for (int j = 0; j < BlockSize / Layout.SubBlockSize; j++)
        {
            var (scaleCode, minCode) = KQuantBits.GetScaleMin(packedScales, j);
            float scale = d * scaleCode, min = dMin * minCode;
            for (int e = j * Layout.SubBlockSize; e < (j + 1) * Layout.SubBlockSize; e++)
                y[e] = scale * levels[e] - min;
        }
    }

    /// <summary>Searches levels, codes and super-scales, packing the codes (shared with Q5_K).</summary>
    internal static (ushort D, ushort DMin) QuantizeLevels(ReadOnlySpan<float> x, AffineLayout layout, Span<byte> levels, Span<byte> packedScales)
    {
        Span<byte> scaleCodes = stackalloc byte[BlockSize / layout.SubBlockSize];
        Span<byte> minCodes = stackalloc byte[BlockSize / layout.SubBlockSize];
        var supers = AffineSuperBlock.Quantize(x, layout, levels, scaleCodes, minCodes);
        KQuantBits.PackScaleMins(scaleCodes, minCodes, packedScales);
        return supers;
    }

    /// <summary>Low 4 bits of 256 levels: per 64 values 32 bytes, values 0..31 low nibbles, 32..63 high nibbles.</summary>
    internal static void UnpackNibbles(ReadOnlySpan<byte> packed, Span<byte> levels)
    {
        for (int e = 0; e < BlockSize; e++)
            levels[e] = (byte)((packed[32 * (e / 64) + e % 32] >> (4 * (e % 64 / 32))) & 0x0F);
    }

    internal static void PackNibbles(ReadOnlySpan<byte> levels, Span<byte> packed)
    {
        packed[..(BlockSize / 2)].Clear();
        for (int e = 0; e < BlockSize; e++)
            packed[32 * (e / 64) + e % 32] |= (byte)((levels[e] & 0x0F) << (4 * (e % 64 / 32)));
    }
}

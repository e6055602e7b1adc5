using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q2_K: 256 values in 16 sub-blocks of 16; 2-bit levels q; per sub-block a 4-bit scale code (low nibble of
/// <see cref="Scales"/>[j]) and 4-bit min code (high nibble). value = d * scale * q - dmin * min.
/// Level layout: <see cref="KQuantBits"/> 2-bit fields.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ2_K : IQuantBlock<BlockQ2_K>
{
    public Bytes16 Scales;   // 16 x (scale | min << 4)
    public Bytes64 Qs;       // 256 x 2-bit
    public ushort D;         // half super-scale of the scale codes
    public ushort DMin;      // half super-scale of the min codes

    public static GgmlType Type => GgmlType.Q2_K;
    public static int ElementCount => Q2_K.BlockSize;
    public static void DequantizeBlock(in BlockQ2_K block, Span<float> destination) => Q2_K.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ2_K block) => Q2_K.QuantizeBlock(source, out block);
}

public static class Q2_K
{
    public const int BlockSize = GgmlTypeTraits.QK_K;
    private static readonly AffineLayout Layout = new(SubBlockSize: 16, MaxLevel: 3, MaxCode: 15);

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ2_K>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ2_K>(source, destination);

    public static void DequantizeBlock(in BlockQ2_K block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D), dMin = HalfConversion.ToSingle(block.DMin);
        for (int j = 0; j < BlockSize / Layout.SubBlockSize; j++)
        {
            float scale = d * (block.Scales[j] & 0x0F), min = dMin * (block.Scales[j] >> 4);
            for (int e = j * Layout.SubBlockSize; e < (j + 1) * Layout.SubBlockSize; e++)
                y[e] = scale * KQuantBits.GetTwoBits(block.Qs, e) - min;
        }
    }

    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ2_K block)
    {
        block = default;
        Span<byte> levels = stackalloc byte[BlockSize];
        Span<byte> scaleCodes = stackalloc byte[BlockSize / Layout.SubBlockSize];
        Span<byte> minCodes = stackalloc byte[BlockSize / Layout.SubBlockSize];
        (block.D, block.DMin) = AffineSuperBlock.Quantize(x[..BlockSize], Layout, levels, scaleCodes, minCodes);
        for (int j = 0; j < scaleCodes.Length; j++)
            block.Scales[j] = (byte)(scaleCodes[j] | minCodes[j] << 4);
        KQuantBits.PackTwoBits(levels, block.Qs);
    }
}

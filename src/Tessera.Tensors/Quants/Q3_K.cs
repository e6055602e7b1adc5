using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q3_K: 256 values in 16 sub-blocks of 16; 3-bit levels stored as q + 4 in 0..7 (low 2 bits as
/// <see cref="KQuantBits"/> 2-bit fields in <see cref="Qs"/>, bit 2 in <see cref="HMask"/>); per sub-block a signed
/// 6-bit scale code -32..31 stored + 32. value = d * code * q.
/// Scale codes: low 4 bits of code j in the low nibble of byte j (j &lt; 8) or the high nibble of byte j - 8;
/// top 2 bits at bit 2·(j / 4) of byte 8 + j % 4.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ3_K : IQuantBlock<BlockQ3_K>
{
    public Bytes32 HMask;    // 256 x bit 2 of the level
    public Bytes64 Qs;       // 256 x low 2 bits of the level
    public Bytes12 Scales;   // 16 x 6-bit scale code
    public ushort D;         // half super-scale

    public static GgmlType Type => GgmlType.Q3_K;
    public static int ElementCount => Q3_K.BlockSize;
    public static void DequantizeBlock(in BlockQ3_K block, Span<float> destination) => Q3_K.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ3_K block) => Q3_K.QuantizeBlock(source, out block);
}

public static class Q3_K
{
    public const int BlockSize = GgmlTypeTraits.QK_K;
    private const int LevelBias = 4, CodeBias = 32;
    private static readonly SymmetricLayout Layout = new(SubBlockSize: 16, MinLevel: -4, MaxLevel: 3, MinCode: -32, MaxCode: 31);

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ3_K>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ3_K>(source, destination);

    public static void DequantizeBlock(in BlockQ3_K block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int j = 0; j < BlockSize / Layout.SubBlockSize; j++)
        {
            float scale = d * (GetCode(block.Scales, j) - CodeBias);
            for (int e = j * Layout.SubBlockSize; e < (j + 1) * Layout.SubBlockSize; e++)
            {
                int level = KQuantBits.GetTwoBits(block.Qs, e) + 4 * KQuantBits.GetBit(block.HMask, e) - LevelBias;
                y[e] = scale * level;
            }
        }
    }

    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ3_K block)
    {
        block = default;
        Span<sbyte> levels = stackalloc sbyte[BlockSize];
        Span<sbyte> codes = stackalloc sbyte[BlockSize / Layout.SubBlockSize];
        block.D = SymmetricSuperBlock.Quantize(x[..BlockSize], Layout, levels, codes);

        Span<byte> stored = stackalloc byte[BlockSize];
        for (int e = 0; e < BlockSize; e++)
            stored[e] = (byte)(levels[e] + LevelBias);
        KQuantBits.PackTwoBits(stored, block.Qs);
        KQuantBits.PackBits(stored, 2, block.HMask);
        for (int j = 0; j < codes.Length; j++)
            SetCode(block.Scales, j, codes[j] + CodeBias);
    }

    private static int GetCode(ReadOnlySpan<byte> packed, int j)
    {
        int low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4;
        int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        return low | high << 4;
    }

    /// <summary>ORs a 6-bit code into zeroed packed scales.</summary>
    private static void SetCode(Span<byte> packed, int j, int code)
    {
        if (j < 8)
            packed[j] |= (byte)(code & 0x0F);
        else
            packed[j - 8] |= (byte)((code & 0x0F) << 4);
        packed[8 + j % 4] |= (byte)((code >> 4) << (2 * (j / 4)));
    }
}

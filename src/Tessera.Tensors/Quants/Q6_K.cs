using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q6_K: 256 values in 16 sub-blocks of 16; 6-bit levels stored as q + 32 in 0..63; per sub-block an int8
/// scale code. value = d * code * q.
/// Levels: each 128-value half uses 64 bytes of <see cref="Ql"/> and 32 of <see cref="Qh"/>; with r = e % 128,
/// l = r % 32 and g = r / 32, the low 4 bits are in Ql[l + 32·(g % 2)] (low nibble for g &lt; 2, high otherwise)
/// and the top 2 bits at bit 2·g of Qh[l].
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ6_K : IQuantBlock<BlockQ6_K>
{
    public Bytes128 Ql;      // 256 x low 4 bits
    public Bytes64 Qh;       // 256 x high 2 bits
    public SBytes16 Scales;  // 16 x int8 scale code
    public ushort D;         // half super-scale

    public static GgmlType Type => GgmlType.Q6_K;
    public static int ElementCount => Q6_K.BlockSize;
    public static void DequantizeBlock(in BlockQ6_K block, Span<float> destination) => Q6_K.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ6_K block) => Q6_K.QuantizeBlock(source, out block);
}

public static class Q6_K
{
    public const int BlockSize = GgmlTypeTraits.QK_K;
    private const int LevelBias = 32;
    private static readonly SymmetricLayout Layout = new(SubBlockSize: 16, MinLevel: -32, MaxLevel: 31, MinCode: -128, MaxCode: 127);

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ6_K>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ6_K>(source, destination);

    public static void DequantizeBlock(in BlockQ6_K block, Span<float> y)
    {
        float d = HalfConversion.ToSingle(block.D);
        for (int e = 0; e < BlockSize; e++)
        {
            var (low, high) = Locate(e);
            int lowBits = (block.Ql[low.Byte] >> low.Shift) & 0x0F;
            int highBits = (block.Qh[high.Byte] >> high.Shift) & 3;
            y[e] = d * block.Scales[e / Layout.SubBlockSize] * ((lowBits | highBits << 4) - LevelBias);
        }
    }

    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ6_K block)
    {
        block = default;
        Span<sbyte> levels = stackalloc sbyte[BlockSize];
        Span<sbyte> codes = stackalloc sbyte[BlockSize / Layout.SubBlockSize];
        block.D = SymmetricSuperBlock.Quantize(x[..BlockSize], Layout, levels, codes);
        codes.CopyTo(block.Scales);
        for (int e = 0; e < BlockSize; e++)
        {
            int stored = levels[e] + LevelBias;
            var (low, high) = Locate(e);
            block.Ql[low.Byte] |= (byte)((stored & 0x0F) << low.Shift);
            block.Qh[high.Byte] |= (byte)((stored >> 4) << high.Shift);
        }
    }

    /// <summary>Where value e's low 4 bits (in Ql) and high 2 bits (in Qh) live.</summary>
    private static ((int Byte, int Shift) Low, (int Byte, int Shift) High) Locate(int e)
    {
        int half = e / 128, r = e % 128, l = r % 32, g = r / 32;
        return ((64 * half + l + 32 * (g % 2), 4 * (g / 2)), (32 * half + l, 2 * g));
    }
}

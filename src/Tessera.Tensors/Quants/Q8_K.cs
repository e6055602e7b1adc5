using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Q8_K: the activation type K-quant dot products pair with. 256 values as int8 q with a float scale d
/// (value = d * q) and the sums of each 16 quants, so kernels can apply sub-block minimums cheaply.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_K : IQuantBlock<BlockQ8_K>
{
    public float D;          // float scale
    public SBytes256 Qs;     // 256 x int8
    public Int16x16 BSums;   // sum of q[16 i .. 16 i + 15]

    public static GgmlType Type => GgmlType.Q8_K;
    public static int ElementCount => Q8_K.BlockSize;
    public static void DequantizeBlock(in BlockQ8_K block, Span<float> destination) => Q8_K.DequantizeBlock(in block, destination);
    public static void QuantizeBlock(ReadOnlySpan<float> source, out BlockQ8_K block) => Q8_K.QuantizeBlock(source, out block);
}

public static class Q8_K
{
    public const int BlockSize = GgmlTypeTraits.QK_K;
    private const int SumGroup = 16;

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => BlockCodec.Quantize<BlockQ8_K>(source, destination);

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => BlockCodec.Dequantize<BlockQ8_K>(source, destination);

    public static void DequantizeBlock(in BlockQ8_K block, Span<float> y)
    {
        for (int j = 0; j < BlockSize; j++)
            y[j] = block.D * block.Qs[j];
    }

    /// <summary>
    /// The value of largest magnitude maps to -127 (so d = its value / -127, and q stays in -127..127,
    /// which integer kernels rely on); the others round to nearest, ties to even.
    /// </summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, out BlockQ8_K block)
    {
        block = default;
        float largest = QuantMath.LargestMagnitude(x[..BlockSize]);
        if (largest == 0)
            return;
        float iscale = -127f / largest;
        for (int j = 0; j < BlockSize; j++)
            block.Qs[j] = (sbyte)Math.Clamp(QuantMath.NearestInt(iscale * x[j]), -127, 127);
        for (int g = 0; g < BlockSize / SumGroup; g++)
        {
            int sum = 0;
            for (int j = 0; j < SumGroup; j++)
                sum += block.Qs[g * SumGroup + j];
            block.BSums[g] = (short)sum;
        }
        block.D = 1f / iscale;
    }
}

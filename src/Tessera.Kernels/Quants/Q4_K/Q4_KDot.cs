using System.Runtime.CompilerServices;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q4_K;

/// <summary>
/// Q4_K weights · Q8_K activations. block_q4_K = { half d; half dmin; byte scales[12]; byte qs[128] } (144 bytes,
/// 256 values in 8 sub-blocks of 32): value = d * scale_j * level - dmin * min_j with 4-bit levels; each 64 values
/// use 32 bytes of qs, the first 32 values in the low nibbles and the next 32 in the high nibbles.
/// Per super-block: d * d_a * Σ_j scale_j (levels_j · a_j) - dmin * d_a * Σ_j min_j * (sum of a_j), the last sums
/// taken from the activation block's 16-value sums.
/// </summary>
internal static unsafe partial class Q4_KDot
{
    public const int BlockSize = 256;
    public const int BlockBytes = 144;
    private const int ScalesOffset = 4;
    internal const int QuantsOffset = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            KQuantScales.Decode(weights + ScalesOffset, scales, mins);
            byte* qs = weights + QuantsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            short* sums = Q8_KBlock.Sums(activations);
            int scaled = 0, minimum = 0;
            for (int j = 0; j < KQuantScales.SubBlocks; j++)
            {
                int dot = 0;
                for (int e = 0; e < 32; e++)
                    dot += ((qs[32 * (j / 2) + e] >> (4 * (j % 2))) & 0x0F) * a[32 * j + e];
                scaled += scales[j] * dot;
                minimum += mins[j] * (sums[2 * j] + sums[2 * j + 1]);
            }
            float da = Q8_KBlock.Scale(activations);
            sum += HalfBits.ToSingle(weights) * da * scaled - HalfBits.ToSingle(weights + 2) * da * minimum;
        }
        return sum;
    }

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotVector128),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
    ];
}

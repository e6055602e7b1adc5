using System.Runtime.CompilerServices;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q6_K;

/// <summary>
/// Q6_K weights · Q8_K activations. block_q6_K = { byte ql[128]; byte qh[64]; sbyte scales[16]; half d } (210 bytes,
/// 256 values in 16 groups of 16): value = d * scale_g * (level - 32), 6-bit level = 4 low bits from ql, 2 high bits
/// from qh. Each half of 128 values uses 64 bytes of ql and 32 of qh: for l in 0..31, values l, l+32, l+64, l+96 take
/// ql[l] low nibble, ql[l+32] low nibble, ql[l] high nibble, ql[l+32] high nibble, with qh[l] bits 0-1, 2-3, 4-5, 6-7.
/// The -32 offset is applied once per group through the activation's 16-value sums: Σ s_g (level·a - 32 Σa).
/// </summary>
internal static unsafe partial class Q6_KDot
{
    public const int BlockSize = 256;
    public const int BlockBytes = 210;
    internal const int HighBitsOffset = 128;
    internal const int ScalesOffset = 192;
    internal const int ScaleOffset = 208;
    private const int LevelOffsetBits = 5;
    private const int LevelOffset = 1 << LevelOffsetBits;   // 32

    /// <summary>The 6-bit level of value e (0..255) of a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Level(byte* block, int e)
    {
        int half = e / 128, group = e % 128 / 32, l = e % 32;
        byte low = block[64 * half + l + 32 * (group & 1)];
        int lowBits = group < 2 ? low & 0x0F : low >> 4;
        int highBits = (block[HighBitsOffset + 32 * half + l] >> (2 * group)) & 3;
        return lowBits | highBits << 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            sbyte* a = Q8_KBlock.Quants(activations);
            int total = 0;
            for (int g = 0; g < 16; g++)
            {
                int dot = 0;
                for (int e = 16 * g; e < 16 * g + 16; e++)
                    dot += (Level(weights, e) - LevelOffset) * a[e];
                total += scales[g] * dot;
            }
            sum += HalfBits.ToSingle(weights + ScaleOffset) * Q8_KBlock.Scale(activations) * total;
        }
        return sum;
    }

    /// <summary>32 * Σ_g scale_g * sums_g: the -32 level offset's contribution.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OffsetDot(sbyte* scales, short* sums)
    {
        int total = 0;
        for (int g = 0; g < 16; g++)
            total += scales[g] * sums[g];
        return LevelOffset * total;
    }

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotVector128),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
    ];
}
